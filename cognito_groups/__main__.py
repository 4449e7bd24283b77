"""``python -m cognito_groups``: the ``cognito-groups`` command."""

import sys

from cognito_groups._cli import main

if __name__ == "__main__":
    sys.exit(main())
