"""``python -m acquire_zarr``: the ``acquire-zarr`` command line."""

import sys

from .cli import main

sys.exit(main())
