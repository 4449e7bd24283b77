"""Pacing within the account's request-rate quotas, shared with everyone else who sends.

One concern per module:

* ``_quotas``: Cognito's quota table: each operation the library sends and its category;
* ``_pace``: the adaptive pace of one budget, a state machine without I/O on the caller's clock;
* ``_store``: where budgets keep their pace: this process, or a file the machine's processes
  share;
* ``_budget``: the budgets, one per quota bucket, and the botocore handlers through which every
  request is paced, retried when throttled, and translated.
"""
