"""The demo EHR (``baclofen-cds demo``): an ordering screen over the bundled examples.

Mounted only by the ``demo`` command (``create_app(demo=True)``): in every other mode ``/demo``
answers 404. The page sends real CDS Hooks requests to the service's own endpoints and real
feedback, so what it shows is what an EHR would get.
"""
