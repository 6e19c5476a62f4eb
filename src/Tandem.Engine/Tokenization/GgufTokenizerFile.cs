using Tandem.Engine.Gguf;
using Tandem.Engine.Models;

namespace Tandem.Engine.Tokenization;

/// <summary>
/// Reads the tokenizer a GGUF file carries in its <c>tokenizer.ggml.*</c> metadata. Only
/// <c>tokenizer.ggml.model = "llama"</c> (SentencePiece BPE) is supported: its tokens, scores and
/// token types are the pieces of a <c>tokenizer.model</c>, so the definition is built the same way
/// (merges from scores, byte fallback through the byte-typed pieces).
/// </summary>
/// <remarks>
/// Token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte. Absent special
/// ids take llama.cpp's SentencePiece defaults (unknown 0, BOS 1, EOS 2, no padding); an id of -1
/// (or its u32 form) means none. <c>tokenizer.ggml.add_space_prefix</c> defaults to true.
/// </remarks>
internal static class GgufTokenizerFile
{
    public const string ModelKey = "tokenizer.ggml.model";
    public const string TokensKey = "tokenizer.ggml.tokens";
    public const string ScoresKey = "tokenizer.ggml.scores";
    public const string TokenTypeKey = "tokenizer.ggml.token_type";
    public const string BosKey = "tokenizer.ggml.bos_token_id";
    public const string EosKey = "tokenizer.ggml.eos_token_id";
    public const string UnknownKey = "tokenizer.ggml.unknown_token_id";
    public const string PaddingKey = "tokenizer.ggml.padding_token_id";
    public const string AddBosKey = "tokenizer.ggml.add_bos_token";
    public const string AddEosKey = "tokenizer.ggml.add_eos_token";
    public const string AddSpacePrefixKey = "tokenizer.ggml.add_space_prefix";
    public const string ChatTemplateKey = "tokenizer.chat_template";

    public static TokenizerDefinition Read(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var path = file.Path;
        var m = file.Metadata;
        try
        {
            var model = m.GetString(ModelKey) ?? throw Missing(path, ModelKey);
            if (model != "llama")
            {
                throw new TokenizerLoadException(
                    $"{path}: metadata '{ModelKey}' is \"{model}\"; only \"llama\" (SentencePiece BPE) is supported");
            }

            var tokens = m.GetArray<string>(TokensKey) ?? throw Missing(path, TokensKey);
            if (tokens.Length == 0)
            {
                throw new TokenizerLoadException($"{path}: metadata '{TokensKey}' is empty");
            }

            var scores = Floats(m, path, ScoresKey) ?? throw Missing(path, ScoresKey);
            var types = Integers(m, path, TokenTypeKey) ?? throw Missing(path, TokenTypeKey);
            SameLength(path, ScoresKey, scores.Length, tokens.Length);
            SameLength(path, TokenTypeKey, types.Length, tokens.Length);
            var pieces = new List<(string Text, float Score, int Type)>(tokens.Length);
            for (var id = 0; id < tokens.Length; id++)
            {
                if (types[id] is < SentencePieceModelFile.PieceNormal or > SentencePieceModelFile.PieceByte)
                {
                    throw new TokenizerLoadException(
                        $"{path}: metadata '{TokenTypeKey}' gives token {id} type {types[id]}; expected 1 (normal) to 6 (byte)");
                }

                pieces.Add((tokens[id], (float)scores[id], (int)types[id]));
            }

            var trainer = new SentencePieceModelFile.TrainerSpec
            {
                ModelType = SentencePieceModelFile.ModelTypeBpe,
                ByteFallback = true,
                UnkId = TokenId(m, path, UnknownKey, tokens.Length, 0),
                BosId = TokenId(m, path, BosKey, tokens.Length, 1),
                EosId = TokenId(m, path, EosKey, tokens.Length, 2),
            };
            var normalizer = new SentencePieceModelFile.NormalizerSpec
            {
                AddDummyPrefix = m.GetBool(AddSpacePrefixKey) ?? true,
                RemoveExtraWhitespaces = false,
                EscapeWhitespaces = true,
            };
            var definition = SentencePieceModelFile.Build(pieces, trainer, normalizer);
            var padding = TokenId(m, path, PaddingKey, tokens.Length, -1);
            return new TokenizerDefinition
            {
                Pieces = definition.Pieces,
                Model = definition.Model,
                Normalizer = definition.Normalizer,
                DecodeStripsLeadingSpace = definition.DecodeStripsLeadingSpace,
                AddedTokens = definition.AddedTokens,
                SpecialIds = definition.SpecialIds,
                UnkId = definition.UnkId,
                BosId = definition.BosId,
                EosId = definition.EosId,
                PadId = padding < 0 ? null : padding,
                AddBos = m.GetBool(AddBosKey),
                AddEos = m.GetBool(AddEosKey),
            };
        }
        catch (ModelLoadException e)
        {
            // A mistyped key: GgufMetadata's message already names the file and the key.
            throw new TokenizerLoadException(e.Message, e);
        }
    }

    /// <summary>The GGUF's own chat template (<c>tokenizer.chat_template</c>), or null.</summary>
    public static string? ChatTemplate(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        try
        {
            return file.Metadata.GetString(ChatTemplateKey);
        }
        catch (ModelLoadException e)
        {
            throw new TokenizerLoadException(e.Message, e);
        }
    }

    private static TokenizerLoadException Missing(string path, string key) => new($"{path}: metadata '{key}' is missing");

    private static void SameLength(string path, string key, int length, int tokens)
    {
        if (length != tokens)
        {
            throw new TokenizerLoadException($"{path}: metadata '{key}' has {length} entries, '{TokensKey}' has {tokens}");
        }
    }

    /// <summary>A token id key: absent → <paramref name="fallback"/>; -1 (or 0xFFFFFFFF) → -1 (none); else it must name a token.</summary>
    private static int TokenId(GgufMetadata m, string path, string key, int count, int fallback)
    {
        var value = m.GetInteger(key);
        if (value is null)
        {
            return fallback < count ? fallback : -1;
        }

        if (value is -1 or 0xFFFFFFFFL)
        {
            return -1;
        }

        if (value < 0 || value >= count)
        {
            throw new TokenizerLoadException($"{path}: metadata '{key}' is {value}, outside the {count} tokens");
        }

        return (int)value;
    }

    private static double[]? Floats(GgufMetadata m, string path, string key) => m.Values.GetValueOrDefault(key) switch
    {
        null => null,
        float[] a => [.. a.Select(v => (double)v)],
        double[] a => a,
        var other => throw Mistyped(path, key, other, "an array of numbers"),
    };

    private static long[]? Integers(GgufMetadata m, string path, string key) => m.Values.GetValueOrDefault(key) switch
    {
        null => null,
        int[] a => [.. a.Select(v => (long)v)],
        uint[] a => [.. a.Select(v => (long)v)],
        long[] a => a,
        short[] a => [.. a.Select(v => (long)v)],
        ushort[] a => [.. a.Select(v => (long)v)],
        sbyte[] a => [.. a.Select(v => (long)v)],
        byte[] a => [.. a.Select(v => (long)v)],
        var other => throw Mistyped(path, key, other, "an array of integers"),
    };

    private static TokenizerLoadException Mistyped(string path, string key, object value, string expected) =>
        new($"{path}: metadata '{key}' is {value.GetType().Name}, expected {expected}");
}
