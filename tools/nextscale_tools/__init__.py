"""Python reference for the nextscale-tiny model: data, VQ tokenizer, decoder, sampler, export."""
