"""Patient kernels forked from a pre-imported parent process, the "zygote".

The server's side of it is :mod:`cam_workbench.serving.forkserver` (a kernel provisioner).

A spawned patient kernel imports ipykernel, ipywidgets, pydantic and the dashboard's code
and loads the content before its first question: about 47 MiB of its own memory, and 0.6 s
of CPU. The zygote does all of that once; each kernel is a ``fork()`` of it, sharing those
pages copy-on-write, and only becomes an ipykernel for its connection file: about 20 MiB of
its own and 0.07 s.

- :mod:`.parent`: the zygote process (preload, fork-safety check, the fork/reap/signal loop);
- :mod:`.child`: what a forked child does to become the kernel;
- :mod:`.wire`: the framing of the provisioner ↔ zygote messages;
- :mod:`.launch`: ``ipykernel_launcher`` without the debugger, for kernels that are spawned.

Only this package's own modules are imported here: the zygote decides what else to import
(``--preload``), by name.
"""
