"""The seq2seq family's artifact class (seq2seq-dates), and the greedy and beam search it decodes
with. Light: numpy and the zoo's light modules; the Keras model is built by model.py and handed in
by zoo.load, and the inference models are made of its layers on first use.
"""

from __future__ import annotations

import numpy as np

from zoo.artifacts import Artifact
from zoo.cli_types import BEAM
from zoo.errors import InvalidInputError
from zoo.families.seq2seq.vocab import END, PAD, START, VOCAB_FILE, Vocabulary, encode_sources
from zoo.hooks import Argument, DemoSection, FinetuneData, Task, Verb
from zoo.samplers import log_softmax


class Decoder:
    """Greedy and beam search around the encoder and one-step decoder models."""

    def __init__(self, model):
        from zoo.families.seq2seq.model import inference_models  # Keras: loaded with the model already

        self.encoder, self.step_model = inference_models(model)
        self.n_states = len(self.encoder.outputs) - 2
        self.has_attention = len(self.step_model.outputs) > 1 + self.n_states

    def encode(self, source_ids: np.ndarray):
        outputs = self.encoder.predict_on_batch(source_ids)
        return outputs[0], outputs[1], list(outputs[2:])

    def step(self, tokens, states, encoder_outputs, keys):
        """One decoder step for a batch: (log-probabilities (n, V), new states, weights (n, S) or None)."""
        out = self.step_model.predict_on_batch([tokens[:, None].astype("int32"), *states, encoder_outputs, keys])
        logits, new_states = np.asarray(out[0])[:, 0], [np.asarray(s) for s in out[1:1 + self.n_states]]
        weights = np.asarray(out[-1])[:, 0] if self.has_attention else None
        return log_softmax(logits.astype("float64")), new_states, weights

    def greedy(self, source_ids: np.ndarray, max_length: int):
        """The likeliest token at every step. Returns (ids (n, <= max_length), log-prob (n,),
        attention weights (n, steps, S) or None)."""
        encoder_outputs, keys, states = self.encode(source_ids)
        n = len(source_ids)
        tokens = np.full(n, START)
        finished = np.zeros(n, dtype=bool)
        scores = np.zeros(n)
        chosen, attention = [], []
        for _ in range(max_length):
            logp, states, weights = self.step(tokens, states, encoder_outputs, keys)
            logp[:, [PAD, START]] = -np.inf  # never predicted: they are not outputs
            tokens = np.where(finished, PAD, logp.argmax(axis=1))
            scores += np.where(finished, 0.0, logp[np.arange(n), tokens])
            chosen.append(tokens)
            attention.append(weights)
            finished |= tokens == END
            if finished.all():
                break
        weights = np.stack(attention, axis=1) if self.has_attention else None
        return np.stack(chosen, axis=1), scores, weights

    def beam_search(self, source_ids: np.ndarray, beam_size: int, max_length: int):
        """Keep the beam_size likeliest partial outputs of every input, all inputs at once.

        Each input gets beam_size rows of the batch. A finished hypothesis (it produced <end>)
        stays in the beam with its score, extended by <pad> at no cost, so it competes with the
        unfinished ones. Scores are sums of log-probabilities. Returns (ids, log-prob) of the best.
        """
        n, k = len(source_ids), beam_size
        encoder_outputs, keys, states = self.encode(source_ids)
        repeat = lambda a: np.repeat(a, k, axis=0)  # noqa: E731  input i -> rows i*k .. i*k+k-1
        encoder_outputs, keys, states = repeat(encoder_outputs), repeat(keys), [repeat(s) for s in states]
        tokens = np.full(n * k, START)
        scores = np.full((n, k), -np.inf)
        scores[:, 0] = 0.0  # at the start all k rows are the same: keep one
        finished = np.zeros((n, k), dtype=bool)
        sequences = np.zeros((n, k, 0), dtype="int64")
        for _ in range(max_length):
            logp, states, _ = self.step(tokens, states, encoder_outputs, keys)
            vocab_size = logp.shape[1]
            logp = logp.reshape(n, k, vocab_size)
            logp[..., [PAD, START]] = -np.inf
            logp[finished] = -np.inf
            logp[finished, PAD] = 0.0
            candidates = (scores[:, :, None] + logp).reshape(n, k * vocab_size)
            best = np.argsort(-candidates, axis=1, kind="stable")[:, :k]
            parent, token = best // vocab_size, best % vocab_size
            scores = np.take_along_axis(candidates, best, axis=1)
            sequences = np.concatenate([np.take_along_axis(sequences, parent[:, :, None], axis=1),
                                        token[:, :, None]], axis=2)
            finished = np.take_along_axis(finished, parent, axis=1) | (token == END)
            rows = (np.arange(n)[:, None] * k + parent).reshape(-1)
            states = [s[rows] for s in states]
            tokens = token.reshape(-1)
            if finished.all():
                break
        top = scores.argmax(axis=1)
        return sequences[np.arange(n), top], scores[np.arange(n), top]


class Seq2Seq(Artifact):
    """A trained encoder-decoder. `translate(["25 Nov 2026"], beam_size=3)` -> ["2026-11-25"].

    Inputs are stripped of surrounding whitespace; an empty input gives an empty output (the
    model is not run). A character the model never saw in training, or an input longer than
    `max_source_length`, raises InvalidInputError naming the input and the problem.
    """

    config_schema = "zoo.families.seq2seq.schema:Seq2SeqMetadata"
    tasks = (Task("text2text-generation", run="zoo.families.seq2seq.serving:translate",
                  request="zoo.families.seq2seq.serving:Text2TextRequest", widget="text2text",
                  description="a text (or a list) converted: a date in any form -> its ISO form; "
                              "parameters num_beams, return_attention"),)

    demo_section = DemoSection("zoo.families.seq2seq.demo:section", order=50)
    finetune_data = FinetuneData("pairs", "FILE.tsv", "input<TAB>target, one pair per line")
    cli_verbs = (
        Verb("translate", run="zoo.families.seq2seq.commands:translate",
             help="rewrite text with a seq2seq model (e.g. dates to ISO 8601)",
             description="Rewrite each TEXT with a sequence-to-sequence artifact and print one output a line, "
                         "e.g. `zoo translate seq2seq-dates 'the 3rd of March 1999'`. An empty TEXT gives an "
                         "empty line.",
             arguments=(
                 Argument("name", help="artifact name or folder, e.g. seq2seq-dates"),
                 Argument("texts", nargs="+", metavar="TEXT", help="input text(s)"),
                 Argument("--beam-size", type=BEAM, default=1, help="1 is greedy (default); e.g. 3 for beam search"),
                 Argument("--scores", action="store_true", help="also print each output's log-probability"))),
    )

    def export_plan(self):
        from zoo.families.seq2seq import export

        return export.plan(self)

    def __init__(self, model, config: dict, folder, vocab: dict | None = None):
        super().__init__(model, config, folder)
        if vocab is None:  # read_config has checked it
            from zoo import artifacts

            vocab = artifacts.read_json_member(self.folder, VOCAB_FILE, artifacts.VOCABULARY_LIMIT)
        self.source_vocab = Vocabulary(vocab["source"])
        self.target_vocab = Vocabulary(vocab["target"])
        self.max_source_length = int(config["max_source_length"])
        self.max_target_length = int(config["max_target_length"])
        self._decoder = None

    @property
    def decoder(self) -> Decoder:
        if self._decoder is None:  # built on first use: loading stays fast
            self._decoder = Decoder(self.model)
        return self._decoder

    def _check(self, texts) -> list[str]:
        if isinstance(texts, str) or not hasattr(texts, "__iter__"):
            raise InvalidInputError("translate takes a list of strings, e.g. art.translate(['25 Nov 2026']).")
        cleaned = []
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise InvalidInputError(f"input {i} is a {type(text).__name__}, not a string.")
            text = text.strip()
            unknown = self.source_vocab.unknown(text)
            if unknown:
                raise InvalidInputError(
                    f"input {i} ({text!r}) has characters the model never saw in training: "
                    f"{''.join(unknown)!r}. It knows: {''.join(self.source_vocab.chars)!r}.")
            if len(text) > self.max_source_length:
                raise InvalidInputError(
                    f"input {i} ({text[:30]!r}...) is {len(text)} characters long; this model reads at "
                    f"most {self.max_source_length}. Shorten it.")
            cleaned.append(text)
        return cleaned

    def translate(self, texts, beam_size: int = 1, max_length: int | None = None,
                  batch_size: int = 256, progress: bool = False) -> list[str]:
        """Rewrite each text; beam_size=1 is greedy decoding. A single string is also accepted
        (and a single string is returned). progress=True shows a bar over the batches."""
        single = isinstance(texts, str)
        results = self.translate_with_scores([texts] if single else texts, beam_size, max_length, batch_size,
                                             progress)
        outputs = [text for text, _ in results]
        return outputs[0] if single else outputs

    def translate_with_scores(self, texts, beam_size: int = 1, max_length: int | None = None,
                              batch_size: int = 256, progress: bool = False) -> list[tuple[str, float]]:
        """(output, log-probability of the output under the model) for each text."""
        if not isinstance(beam_size, (int, np.integer)) or isinstance(beam_size, bool) or beam_size < 1:
            raise InvalidInputError(f"beam_size must be an integer of at least 1, got {beam_size!r}.")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise InvalidInputError(f"batch_size must be an integer of at least 1, got {batch_size!r}.")
        max_length = (self.max_target_length + 1) if max_length is None else max_length
        if not isinstance(max_length, (int, np.integer)) or max_length < 1:
            raise InvalidInputError(f"max_length must be an integer of at least 1, got {max_length!r}.")
        texts = self._check(texts)
        results = [("", 0.0)] * len(texts)
        todo = [i for i, text in enumerate(texts) if text]
        starts = range(0, len(todo), batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc=f"translating ({'greedy' if beam_size == 1 else f'beam {beam_size}'})",
                          unit="batch", leave=False)
        for start in starts:
            chunk = todo[start:start + batch_size]
            ids = encode_sources([texts[i] for i in chunk], self.source_vocab, self.max_source_length)
            if beam_size == 1:
                out, scores, _ = self.decoder.greedy(ids, max_length)
            else:
                out, scores = self.decoder.beam_search(ids, beam_size, max_length)
            for i, row, score in zip(chunk, out, scores):
                results[i] = (self.target_vocab.decode(row), float(score))
        return results

    def attention(self, text: str):
        """Greedy output of one text with its attention weights: (output, weights, input).
        weights has a row per output character and <end>, and a column for the left padding
        (the sum over all its positions: the model may park attention there when it reads
        from its state instead) followed by one per input character; rows sum to 1.
        Needs a model with attention."""
        if not self.decoder.has_attention:
            raise InvalidInputError(f"{self.name} was trained without attention (attention='none').")
        (text,) = self._check([text])
        if not text:
            raise InvalidInputError("the input is empty: there is nothing to attend to.")
        ids = encode_sources([text], self.source_vocab, self.max_source_length)
        out, _, weights = self.decoder.greedy(ids, self.max_target_length + 1)
        output = self.target_vocab.decode(out[0])
        steps = min(len(output) + 1, weights.shape[1])
        weights = weights[0, :steps]
        padding = weights[:, :-len(text)].sum(axis=1, keepdims=True)
        return output, np.concatenate([padding, weights[:, -len(text):]], axis=1), text
