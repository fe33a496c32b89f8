"""novalite.image: the image service and the compute-side image cache.

* :mod:`novalite.image.api` -- ``API().get / get_all / create /
  import_image / upload / update / delete / download``, what the API
  daemon, compute and ``novalite-manage image`` call. No database: like Nova's image proxy
  in front of Glance, it reads the images directly.
* :mod:`novalite.image.backend` -- the backend contract and the shape of an
  image record (Nova's Glance-wrapper dict); :mod:`novalite.image.file` --
  the ``file`` backend (``[image] images_path``), the default.
* :mod:`novalite.image.cache` -- ``ImageCache(...).fetch()`` keeps one
  verified copy per image under ``<instances_path>/_base``;
  ``create_overlay()`` gives an instance its qcow2 disk on top of it;
  ``ImageCache.cleanup()`` is the periodic removal of unused bases.
"""
