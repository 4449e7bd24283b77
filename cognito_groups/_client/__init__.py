"""The facades and their iterators, sync and async twins class for class.

One concern per module:

* ``_config``: building clients: the botocore ``Config``, the options' checks, the client;
* ``_session``: the sessions the library makes (UTC times, botocore's data read once);
* ``_region``: the Region rule (given, configured, or the first pool's);
* ``_sync``: `CognitoGroups`, on boto3;
* ``_async``: `AsyncCognitoGroups`, on aiobotocore;
* ``_shortcut`` / ``_async_shortcut``: `iter_users_in_group()` and `aiter_users_in_group()`,
  a group's members in one call (on a facade of their own, or the caller's);
* ``_iterators`` / ``_async_iterators``: pages, users, groups and memberships, driving the
  plans of ``_listing`` through a facade already paced (``_pacing``);
* ``_counting``: the requests a facade sent and the throttled answers it got;
* ``_closing``: the bases of everything that ``with`` / ``async with`` closes;
* ``_install``: how to install an extra, for the errors that need one.
"""
