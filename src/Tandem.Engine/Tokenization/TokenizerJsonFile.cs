using System.Text.Json;

namespace Tandem.Engine.Tokenization;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> whose model is SentencePiece-style BPE (Llama-2 and
/// relatives): the vocabulary, merges in either "a b" or ["a", "b"] form, byte fallback, added
/// tokens, and the Llama variants of normalizer, pre-tokenizer and decoder.
/// </summary>
internal static class TokenizerJsonFile
{
    public static TokenizerDefinition Read(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
            return Read(document.RootElement, path);
        }
        catch (JsonException e)
        {
            throw new TokenizerLoadException($"{path}: invalid JSON ({e.Message})", e);
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new TokenizerLoadException($"{path}: unexpected structure ({e.Message})", e);
        }
    }

    private static TokenizerDefinition Read(JsonElement root, string path)
    {
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new TokenizerLoadException($"{path}: no \"model\" object");
        }

        var modelType = StringOrNull(model, "type") ?? (model.TryGetProperty("merges", out _) ? "BPE" : "unknown");
        if (modelType != "BPE")
        {
            throw new TokenizerLoadException($"{path}: unsupported tokenizer type {modelType} in tokenizer.json (only SentencePiece-style BPE is supported)");
        }

        if (IsByteLevel(root))
        {
            throw new TokenizerLoadException($"{path}: unsupported tokenizer type byte-level BPE (ByteLevel pre-tokenizer/decoder) in tokenizer.json (only SentencePiece-style BPE is supported)");
        }

        if (StringOrNull(model, "continuing_subword_prefix") is { Length: > 0 } || StringOrNull(model, "end_of_word_suffix") is { Length: > 0 })
        {
            throw new TokenizerLoadException($"{path}: unsupported BPE options continuing_subword_prefix/end_of_word_suffix in tokenizer.json");
        }

        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in model.GetProperty("vocab").EnumerateObject())
        {
            vocabulary[entry.Name] = entry.Value.GetInt32();
        }

        var added = ReadAddedTokens(root);
        var size = Math.Max(vocabulary.Count == 0 ? 0 : vocabulary.Values.Max() + 1, added.Count == 0 ? 0 : added.Max(t => t.Id) + 1);
        var pieces = new string?[size];
        foreach (var (text, id) in vocabulary)
        {
            pieces[id] = text;
        }

        foreach (var token in added)
        {
            pieces[token.Id] ??= token.Content;
        }

        var unkToken = StringOrNull(model, "unk_token");
        var unkId = unkToken is not null && vocabulary.TryGetValue(unkToken, out var unk) ? unk : -1;
        var bpe = new BpeModel(
            vocabulary,
            ReadMerges(model, vocabulary, path),
            TokenizerDefinition.ByteIds(pieces),
            unkId,
            Bool(model, "byte_fallback"),
            Bool(model, "fuse_unk"),
            Bool(model, "ignore_merges"));

        var (bosToken, eosToken) = ReadPostProcessor(root);
        return new TokenizerDefinition
        {
            Pieces = pieces,
            Model = bpe,
            Normalizer = ReadNormalizer(root, path),
            DecodeStripsLeadingSpace = DecoderStripsLeadingSpace(root, path),
            AddedTokens = added,
            UnkId = unkId >= 0 ? unkId : null,
            BosId = bosToken is not null && vocabulary.TryGetValue(bosToken, out var bos) ? bos : null,
            EosId = eosToken is not null && vocabulary.TryGetValue(eosToken, out var eos) ? eos : null,
            AddBos = bosToken is not null,
            AddEos = eosToken is not null,
        };
    }

    private static Dictionary<long, BpeMerge> ReadMerges(JsonElement model, Dictionary<string, int> vocabulary, string path)
    {
        var merges = BpeModel.CreateMergeTable();
        if (!model.TryGetProperty("merges", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return merges;
        }

        var rank = 0;
        foreach (var merge in list.EnumerateArray())
        {
            string left, right;
            if (merge.ValueKind == JsonValueKind.String)
            {
                var text = merge.GetString()!;
                var space = text.IndexOf(' ', 1);
                if (space < 0)
                {
                    throw new TokenizerLoadException($"{path}: merge {rank} \"{text}\" is not two tokens separated by a space");
                }

                (left, right) = (text[..space], text[(space + 1)..]);
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2)
            {
                (left, right) = (merge[0].GetString()!, merge[1].GetString()!);
            }
            else
            {
                throw new TokenizerLoadException($"{path}: merge {rank} is neither \"a b\" nor [\"a\", \"b\"]");
            }

            if (!vocabulary.TryGetValue(left, out var leftId) || !vocabulary.TryGetValue(right, out var rightId)
                || !vocabulary.TryGetValue(left + right, out var merged))
            {
                throw new TokenizerLoadException($"{path}: merge {rank} (\"{left}\", \"{right}\") uses a token that is not in the vocabulary");
            }

            merges.TryAdd(BpeModel.PairKey(leftId, rightId), new BpeMerge(rank, merged));
            rank++;
        }

        return merges;
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement root)
    {
        var tokens = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var token in list.EnumerateArray())
            {
                tokens.Add(new AddedToken(
                    token.GetProperty("id").GetInt32(),
                    token.GetProperty("content").GetString()!,
                    Bool(token, "special"),
                    Bool(token, "lstrip"),
                    Bool(token, "rstrip")));
            }
        }

        return tokens;
    }

    /// <summary>
    /// Accepts no normalizer, or Prepend("▁") and Replace(" " → "▁") alone or in a Sequence, and a
    /// Metaspace pre-tokenizer (alone or in a Sequence); anything else would change the ids silently.
    /// </summary>
    private static SentencePieceNormalizer ReadNormalizer(JsonElement root, string path)
    {
        var prepend = false;
        var escape = false;
        foreach (var step in Steps(root, "normalizer", "normalizers"))
        {
            switch (StringOrNull(step, "type"))
            {
                case "Prepend" when StringOrNull(step, "prepend") == "\u2581":
                    prepend = true;
                    break;
                case "Replace" when ReplacePattern(step) == " " && StringOrNull(step, "content") == "\u2581":
                    escape = true;
                    break;
                case var other:
                    throw new TokenizerLoadException($"{path}: unsupported normalizer {Describe(step, other)} in tokenizer.json");
            }
        }

        foreach (var step in Steps(root, "pre_tokenizer", "pretokenizers"))
        {
            var type = StringOrNull(step, "type");
            if (type != "Metaspace" || (StringOrNull(step, "replacement") ?? "\u2581") != "\u2581")
            {
                throw new TokenizerLoadException($"{path}: unsupported pre_tokenizer {Describe(step, type)} in tokenizer.json");
            }

            var scheme = StringOrNull(step, "prepend_scheme")
                ?? (step.TryGetProperty("add_prefix_space", out var add) && add.ValueKind == JsonValueKind.False ? "never" : "always");
            return new SentencePieceNormalizer
            {
                Prefix = scheme switch
                {
                    "always" => DummyPrefix.EverySegment,
                    "first" => DummyPrefix.FirstSegment,
                    "never" => DummyPrefix.Never,
                    _ => throw new TokenizerLoadException($"{path}: unsupported Metaspace prepend_scheme \"{scheme}\" in tokenizer.json"),
                },
                PrefixOnlyWhenMissing = true,
                SplitWords = !step.TryGetProperty("split", out var split) || split.ValueKind != JsonValueKind.False,
            };
        }

        return new SentencePieceNormalizer
        {
            Prefix = prepend ? DummyPrefix.EverySegment : DummyPrefix.Never,
            EscapeSpaces = escape,
        };
    }

    private static bool DecoderStripsLeadingSpace(JsonElement root, string path)
    {
        var strip = false;
        foreach (var step in Steps(root, "decoder", "decoders"))
        {
            switch (StringOrNull(step, "type"))
            {
                case "Replace" when ReplacePattern(step) == "\u2581" && StringOrNull(step, "content") == " ":
                case "ByteFallback":
                case "Fuse":
                    break;
                case "Strip" when StringOrNull(step, "content") == " " && Int(step, "stop") == 0 && Int(step, "start") <= 1:
                    strip = Int(step, "start") == 1;
                    break;
                case "Metaspace":
                    strip = StringOrNull(step, "prepend_scheme") != "never"
                        && !(step.TryGetProperty("add_prefix_space", out var add) && add.ValueKind == JsonValueKind.False);
                    break;
                case var other:
                    throw new TokenizerLoadException($"{path}: unsupported decoder {Describe(step, other)} in tokenizer.json");
            }
        }

        return strip;
    }

    /// <summary>The special tokens a TemplateProcessing post-processor puts before and after a single sequence.</summary>
    private static (string? Bos, string? Eos) ReadPostProcessor(JsonElement root)
    {
        if (!root.TryGetProperty("post_processor", out var processor) || processor.ValueKind != JsonValueKind.Object
            || StringOrNull(processor, "type") != "TemplateProcessing"
            || !processor.TryGetProperty("single", out var single) || single.ValueKind != JsonValueKind.Array)
        {
            return (null, null);
        }

        var items = single.EnumerateArray().ToList();
        var sequenceAt = items.FindIndex(i => i.TryGetProperty("Sequence", out _));
        return sequenceAt < 0 ? (null, null) : (SpecialTokenId(items[..sequenceAt]), SpecialTokenId(items[(sequenceAt + 1)..]));
    }

    private static string? SpecialTokenId(List<JsonElement> items) =>
        items.Count == 1 && items[0].TryGetProperty("SpecialToken", out var token) ? StringOrNull(token, "id") : null;

    private static bool IsByteLevel(JsonElement root) =>
        Steps(root, "pre_tokenizer", "pretokenizers").Concat(Steps(root, "decoder", "decoders"))
            .Any(step => StringOrNull(step, "type") == "ByteLevel");

    private static List<JsonElement> Steps(JsonElement root, string name, string sequenceName)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        return StringOrNull(element, "type") == "Sequence" && element.TryGetProperty(sequenceName, out var steps)
            ? steps.EnumerateArray().ToList()
            : [element];
    }

    private static string? ReplacePattern(JsonElement step) =>
        step.TryGetProperty("pattern", out var pattern) && pattern.ValueKind == JsonValueKind.Object ? StringOrNull(pattern, "String") : null;

    private static string Describe(JsonElement step, string? type) => type ?? step.GetRawText();

    private static string? StringOrNull(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool Bool(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    private static int Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : 0;
}
