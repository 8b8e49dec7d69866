"""`restybuild k8s`: the Kubernetes objects that run the image (:mod:`.plan` decides them,
:func:`restybuild.render.render_k8s` formats them, :mod:`.write` puts them in a folder)."""
