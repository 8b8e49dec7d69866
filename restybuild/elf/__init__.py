"""Native libraries: read ELF files, model the dynamic loader, index base images.

- :mod:`~restybuild.elf.reader`: the dynamic facts of one ELF file (DT_NEEDED,
  DT_SONAME, DT_RPATH / DT_RUNPATH, DF_1_NODEFLIB, class and machine, symbol
  versions needed and defined), from any bytes, in bounded time; the facts
  are :class:`~restybuild.elf.facts.ElfObject`.
- :mod:`~restybuild.elf.verify`: whether a loader takes a file it found
  (glibc's ``open_verify`` and ``_dl_map_object_from_fd`` checks, musl's).
- :mod:`~restybuild.elf.ldcache`: ``/etc/ld.so.cache``, the trusted folders
  compiled into glibc's ld.so, musl's path file.
- :mod:`~restybuild.elf.fs`: the file systems the loader looks at: the host's,
  a base image's library index, and an overlay of what a plan adds.
- :mod:`~restybuild.elf.loader`: the search order of glibc's and musl's
  loaders and the closure of an object (its docstring has the order, with the
  loader sources); :mod:`~restybuild.elf.order` has each loader's steps that
  search folders; :mod:`~restybuild.elf.search` searches one name's folders;
  :mod:`~restybuild.elf.closure` holds what the model knows and answers;
  :mod:`~restybuild.elf.paths` builds path lists (tokens, the working folder).
- :mod:`~restybuild.elf.host`: the loader environment of this machine.
- :mod:`~restybuild.elf.libindex`: a base image's library index, cached on disk
  by image ID and shipped as a snapshot with base recipes.
- :mod:`~restybuild.elf.image`: reading that index from an image through the
  Docker SDK (no shell runs in the image).
- :mod:`~restybuild.elf.bundle`: resolving natives against a base and choosing
  what to bundle from their search folders.
- :mod:`~restybuild.natives`: a project's natives: what to bundle and the
  findings with Restyfile spans, for ``plan`` (first error) and ``lint``
  (:func:`~restybuild.natives.check_natives`).
- :mod:`~restybuild.candidate`: the same check inside a built candidate.
- :mod:`~restybuild.elf.tree`: the lddtree-like report of ``restybuild deps``.

Nothing here imports ``docker`` at module level.
"""
