"""Seed 001's Python example (Hugging Face embeddings), on the embedded engine.

Runs offline: ``TiDBClient.connect()`` opens ``./data`` and the engine embeds with the
local all-MiniLM-L6-v2 weights (the Hugging Face key of step 2 is then not used).

    python examples/seed_001_embedded.py
"""

from __future__ import annotations

import os

from autovec import TiDBClient
from autovec.datatype import TEXT
from autovec.embeddings import EmbeddingFunction
from autovec.schema import Field, TableModel

# Step 1: connect to the database (embedded: ./data).
tidb_client = TiDBClient.connect()

# Step 2: configure the API key (used only when the model's weights are not local).
tidb_client.configure_embedding_provider(
    provider="huggingface",
    api_key=os.environ.get("HUGGINGFACE_API_KEY", "{your-huggingface-token}"),
)


# Step 3: create a vector table.
class Document(TableModel):
    __tablename__ = "sample_documents"
    id: int = Field(primary_key=True)
    content: str = Field(sa_type=TEXT)
    embedding: list[float] = EmbeddingFunction(
        model_name="huggingface/sentence-transformers/all-MiniLM-L6-v2"
    ).VectorField(source_field="content")


table = tidb_client.create_table(schema=Document, if_exists="overwrite")

# Step 4: insert data into the table.
documents = [
    Document(id=1, content="Machine learning algorithms can identify patterns in data."),
    Document(id=2, content="Deep learning uses neural networks with multiple layers."),
    Document(id=3, content="Natural language processing helps computers understand text."),
    Document(id=4, content="Computer vision enables machines to interpret images."),
    Document(id=5, content="Reinforcement learning learns through trial and error."),
]
table.bulk_insert(documents)

# Step 5: search for similar documents.
# (As the seed writes it: rows of to_list() are read as attributes, doc.id.)
results = table.search("How do neural networks work?") \
    .limit(3) \
    .to_list()

for doc in results:
    print(f"ID: {doc.id}, Content: {doc.content}")
