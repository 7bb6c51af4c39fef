"""Batch scoring: parse, score and write case files, one file or a folder of shards, locally or on Dask."""
