"""What makes a file safe to share with other runs and people: locks and content digests.

One concern per module:

* ``_lock``: lock files: one process at a time does what a lock file stands for;
* ``_digest``: the digest a saved state carries of its own content, so that an edited one is
  found.
"""
