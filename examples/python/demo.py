"""Stream a simulated camera to Zarr, then read the result back.

The program is `acquire-zarr demo` (its source: python/acquire_zarr/_demo.py);
this file runs it, so `python examples/python/demo.py --help` works as
before. `make demo` runs the same demo.

    python examples/python/demo.py [--frames 300] [--size 2048] [--codec lz4]
                                   [--output PATH]
"""

from acquire_zarr._demo import main

if __name__ == "__main__":
    main()
