"""Listing plans without I/O: what to send next, what came back, and where to resume.

Nothing here sends a request or waits; the sync and async iterators of ``_client`` drive these
plans, so the paging rules are written once. One concern per module:

* ``_validate``: the caller's input checked before any request, as the service model says;
* ``_position``: a place in one group's listing, exact to the user, and its resume token;
* ``_checkpoint``: a place in a many-group listing, and the checkpoint text that names it;
* ``_paginate``: the paging rules of ``ListUsersInGroup`` (Limit, NextToken, skips, cuts);
* ``_groups``: the paging of ``ListGroups``;
* ``_memberships``: many groups at once: which group next, what to yield, the checkpoint.
"""
