"""The reader network for training and export: the MiniLM encoder with a span head and an
answerability head. torch and transformers are needed here only (the `train` extra)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn


class ReaderNet(nn.Module):
    """Encoder -> start/end logits per token and an answerability logit on [CLS]."""

    def __init__(self, encoder: nn.Module, hidden: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.span = nn.Linear(hidden, 2)
        self.answerable = nn.Linear(hidden, 1)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        states = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        start, end = self.span(states).unbind(-1)
        # Padding can never be an answer: push its logits far down (finite, for fp16/int8).
        pad = attention_mask == 0
        start = start.masked_fill(pad, -10000.0)
        end = end.masked_fill(pad, -10000.0)
        return start, end, self.answerable(states[:, 0]).squeeze(-1)


def build(base: Path) -> ReaderNet:
    """A fresh reader on the packaged all-MiniLM-L6-v2 weights (heads initialised small)."""
    import transformers

    encoder = transformers.AutoModel.from_pretrained(
        str(base), attn_implementation="eager", dtype=torch.float32, add_pooling_layer=False
    )
    net = ReaderNet(encoder, int(encoder.config.hidden_size))
    for head in (net.span, net.answerable):
        nn.init.normal_(head.weight, std=0.02)
        nn.init.zeros_(head.bias)
    return net
