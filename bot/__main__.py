"""Allow `python -m bot` as a synonym of the `canhgiac` command."""

from bot.cli.app import main

if __name__ == "__main__":
    main()
