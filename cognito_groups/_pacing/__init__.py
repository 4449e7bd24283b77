"""Pacing within the account's request-rate quotas, shared with everyone else who sends.

One concern per module:

* ``_quotas``: Cognito's quota table: each operation the library sends and its category;
* ``_pace``: the adaptive pace of one budget, a state machine without I/O on the caller's clock;
* ``_store``: where budgets keep their pace: the stores, this process's, and the file's folder;
* ``_shared_store``: the file of paces the machine's processes share, under its lock;
* ``_home``: where one facade's budgets keep their pace: this process, or the shared file of
  the account and Region its first request is signed for;
* ``_budget``: a budget: the adaptive pace of one quota bucket, kept in its store;
* ``_categories``: the budgets of each quota category, and of each pool where it has one;
* ``_paced``: the facades' pacing options, and the paced call: botocore's handlers through
  which every request waits for its tokens, is sent again when throttled, and is translated.
"""
