"""SQLAlchemy support: the ``autovec://`` dialect and the ``VECTOR`` column type.

``VECTOR`` works on any MySQL dialect (``mysql+pymysql://`` against TiDB or the autovec
server); ``create_engine("autovec:///data")`` opens an embedded data directory.
"""

from autovec.sqlalchemy.vector import VECTOR, VectorType, decode_vector, encode_vector

__all__ = ["VECTOR", "VectorType", "decode_vector", "encode_vector"]
