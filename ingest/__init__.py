"""The ingest layer (installed as ``logpilot_kernel.ingest``): raw records in, golden rows out.

Why a layer of its own: reading, detecting, parsing and mining are the heavy, engine-bound
part (DuckDB, Drain, Arrow, Kafka, Dask), and the core's query and why engines must stand
without them. Entry points: ``bulk.ingest`` (files and archives, one process or a Dask
cluster through ``cluster``), ``stream`` (Kafka), ``worker`` (a consumer group writing
segments); the schema registry is ``registry``. Nothing is imported here, so importing one
part never pays for the others.
"""
