"""Image captioning: a small convolutional network reads an image and an LSTM writes a sentence
about it, looking at one part of the image per word through soft attention (Karpathy & Fei-Fei
2015; Vinyals et al. 2015, "Show and Tell"; Xu et al. 2015, "Show, Attend and Tell"). The data
is made here: scenes of simple shapes drawn with Pillow (scenes.py), described by a grammar
whose captions a parser reads back into facts (captions.py)."""
