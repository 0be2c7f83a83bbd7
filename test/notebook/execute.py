"""Execute a notebook headlessly through a Jupyter client (nbclient) and save it with its outputs.

usage: python3 execute.py NOTEBOOK OUT KERNEL CWD TIMEOUT_S

Every cell runs even after an error (allow_errors), so the caller sees each cell's outputs and
errors in OUT; the caller decides what counts as a failure.
"""
import sys

import nbformat
from nbclient import NotebookClient

source, out, kernel, cwd, timeout = sys.argv[1:6]
notebook = nbformat.read(source, as_version=4)
client = NotebookClient(notebook, kernel_name=kernel, timeout=int(timeout), startup_timeout=120,
                        allow_errors=True, resources={'metadata': {'path': cwd}})
client.execute()
nbformat.write(notebook, out)
