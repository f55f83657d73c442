"""Image filtering with a Keras Conv2D: convolution and cross-correlation as scipy computes them,
a bank of classic kernels (edge enhance, edge detect, blur, sharpen), the same kernels learned
back from examples, and a new filter learned from one (image, filtered image) pair.

Registry names: architecture `cnn-filters`; artifacts `cnn-filters-classic` and
`cnn-filters-learned` (recipes/cnn_filters_classic.py, recipes/cnn_filters_learned.py).

Files:
    model.py        build_conv2d, build_cnn_filters, convolve2d, the plots and the contact sheet (Keras)
    kernels.py      the classic kernels and a bank's kernel names, read without numpy or Keras
    image_files.py  PNG/JPEG in and out as arrays (PIL inside the functions)
    pairs.py        a filter learned from one (image, filtered image) pair, in closed form (numpy)
    artifact.py     FilterBank, the artifact class (light: no Keras at import)
    schema.py       what its zoo.json must hold (pydantic)
    steps.py        the recipes' steps: fine-tuning on a pair and the metrics of the filters so added
"""
