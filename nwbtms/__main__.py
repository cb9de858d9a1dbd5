"""``python -m nwbtms``: the same as the ``nwbtms`` command."""

from nwbtms.cli import main

if __name__ == "__main__":
    main()
