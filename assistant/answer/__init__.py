"""The answer side: the generator contract, citations, text helpers and one renderer per intent.

Kept free of imports so that `assistant.advisor` can use `assistant.answer.text` without a cycle.
"""
