"""The judgement on a post: the signature rule packs and the learned model, precision safeguards first.

`judge.Judge` classifies; `verdict` holds the types every other part records (Category,
Contribution, Verdict); `features` and `model` are the learned half. This package imports nothing
itself, so the verdict types can be used without loading rules or the model.
"""
