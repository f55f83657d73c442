"""keras-zoo's pretrained artifacts: one folder per registry name (zoo/registry.py finds this
package without importing it; nothing here runs code). Each folder is in Keras's directory
layout (config.json, metadata.json, model.weights.h5) with the zoo's zoo.json, the model card
README.md and its plots; registry.json pins every file by sha256."""
