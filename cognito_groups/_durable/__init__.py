"""What makes a file safe to share with other runs and people: locks, digests, commits.

One concern per module:

* ``_lock``: lock files: one process at a time does what a lock file stands for;
* ``_digest``: the digest a saved state carries of its own content, so that an edited one is
  found;
* ``_cadence``: when a stream of rows is committed (export's output and the mirror's sync).
"""
