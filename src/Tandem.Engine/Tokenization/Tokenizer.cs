using System.Text;

namespace Tandem.Engine.Tokenization;

/// <summary>
/// SentencePiece-style BPE tokenizer (Llama-2, TinyLlama, stories260K) loaded from a Hugging Face
/// model directory (<see cref="Load"/>) or from a GGUF file's metadata (<see cref="LoadGguf"/>). Immutable after <see cref="Load"/>; safe to use from several threads.
/// </summary>
/// <remarks>
/// Encoding: added tokens found literally in the text become their ids; each piece of text between
/// them is escaped ("▁" prefix, spaces → "▁") and merged by BPE rank, with byte fallback.
/// Decoding: "▁" → space, <c>&lt;0xXX&gt;</c> runs → UTF-8 (invalid or incomplete bytes → U+FFFD),
/// and one leading space of the whole text dropped (the dummy prefix), as the Llama decoders do.
/// </remarks>
public sealed class Tokenizer
{
    public const string JsonFileName = "tokenizer.json";
    public const string SentencePieceFileName = "tokenizer.model";

    private readonly string?[] pieces;
    private readonly Dictionary<string, int> ids;
    private readonly BpeModel model;
    private readonly SentencePieceNormalizer normalizer;
    private readonly AddedTokenMatcher addedTokens;
    private readonly string[] decodedText;
    private readonly int[] byteValue;
    private readonly bool[] special;

    private Tokenizer(TokenizerDefinition definition, TokenizerConfigFile config)
    {
        var added = MergeAddedTokens(definition, config);
        var size = Math.Max(definition.Pieces.Length, added.Count == 0 ? 0 : added.Max(t => t.Id) + 1);
        pieces = new string?[size];
        definition.Pieces.CopyTo(pieces, 0);
        foreach (var token in added)
        {
            pieces[token.Id] ??= token.Content;
        }

        ids = new Dictionary<string, int>(size, StringComparer.Ordinal);
        for (var id = 0; id < size; id++)
        {
            if (pieces[id] is { } piece)
            {
                ids.TryAdd(piece, id);
            }
        }

        model = definition.Model;
        normalizer = definition.Normalizer;
        StripsLeadingSpace = definition.DecodeStripsLeadingSpace;

        BosToken = config.BosToken ?? Piece(definition.BosId);
        EosToken = config.EosToken ?? Piece(definition.EosId);
        BosId = BosToken is null ? null : RequireToken(BosToken, "bos_token");
        EosId = EosToken is null ? null : RequireToken(EosToken, "eos_token");
        PadId = definition.PadId;
        var unkId = config.UnkToken is null ? definition.UnkId : RequireToken(config.UnkToken, "unk_token");
        AddBos = (config.AddBos ?? definition.AddBos ?? true) && BosId is not null;
        AddEos = (config.AddEos ?? definition.AddEos ?? false) && EosId is not null;

        special = new bool[size];
        foreach (var id in definition.SpecialIds.Concat(added.Where(t => t.Special).Select(t => t.Id)))
        {
            special[id] = true;
        }

        foreach (var id in new[] { BosId, EosId, unkId })
        {
            if (id is { } known)
            {
                special[known] = true;
                if (!added.Any(t => t.Id == known))
                {
                    added.Add(new AddedToken(known, pieces[known]!, Special: true));
                }
            }
        }

        addedTokens = new AddedTokenMatcher(added);
        decodedText = new string[size];
        byteValue = new int[size];
        for (var id = 0; id < size; id++)
        {
            byteValue[id] = special[id] ? -1 : TokenizerDefinition.ByteFallbackValue(pieces[id]);
            decodedText[id] = pieces[id]?.Replace(SentencePieceNormalizer.MetaSpace, ' ') ?? string.Empty;
        }
    }

    public int VocabSize => pieces.Length;

    public int? BosId { get; }

    public int? EosId { get; }

    /// <summary>The padding token, when the tokenizer names one (GGUF's <c>tokenizer.ggml.padding_token_id</c>).</summary>
    public int? PadId { get; }

    public string? BosToken { get; }

    public string? EosToken { get; }

    /// <summary>Encode puts BOS first (with special tokens); from <c>add_bos_token</c>, true when unset.</summary>
    public bool AddBos { get; }

    /// <summary>Encode puts EOS last (with special tokens); from <c>add_eos_token</c>, false when unset.</summary>
    public bool AddEos { get; }

    internal bool StripsLeadingSpace { get; }

    /// <summary>
    /// Loads <c>tokenizer.json</c> from <paramref name="modelDirectory"/>, else <c>tokenizer.model</c>,
    /// with <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c> when present.
    /// </summary>
    /// <exception cref="TokenizerLoadException">The files are missing, malformed or unsupported; the message names the file.</exception>
    public static Tokenizer Load(string modelDirectory)
    {
        if (!Directory.Exists(modelDirectory))
        {
            throw new TokenizerLoadException($"{modelDirectory}: tokenizer directory does not exist");
        }

        var jsonPath = Path.Combine(modelDirectory, JsonFileName);
        var modelPath = Path.Combine(modelDirectory, SentencePieceFileName);
        try
        {
            var definition = File.Exists(jsonPath) ? TokenizerJsonFile.Read(jsonPath)
                : File.Exists(modelPath) ? SentencePieceModelFile.Read(modelPath)
                : throw new TokenizerLoadException($"{modelDirectory}: neither {JsonFileName} nor {SentencePieceFileName} found");
            var config = TokenizerConfigFile.Read(modelDirectory);
            try
            {
                return new Tokenizer(definition, config);
            }
            catch (TokenizerLoadException e)
            {
                throw new TokenizerLoadException($"{modelDirectory}: {e.Message}", e);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerLoadException($"{modelDirectory}: cannot read tokenizer files ({e.Message})", e);
        }
    }

    /// <summary>Loads the tokenizer that the GGUF file at <paramref name="path"/> carries in its <c>tokenizer.ggml.*</c> metadata.</summary>
    /// <exception cref="TokenizerLoadException">A key is missing or mistyped, or the tokenizer is not SentencePiece BPE ("llama"); the message names the file and the key.</exception>
    /// <exception cref="Models.ModelLoadException">The file is not a readable GGUF file.</exception>
    public static Tokenizer LoadGguf(string path)
    {
        using var file = Gguf.GgufFile.Open(path);
        return FromGguf(file);
    }

    /// <inheritdoc cref="LoadGguf"/>
    public static Tokenizer FromGguf(Gguf.GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new Tokenizer(GgufTokenizerFile.Read(file), TokenizerConfigFile.None);
    }

    /// <summary>The GGUF file's own chat template source (<c>tokenizer.chat_template</c>), or null.</summary>
    public static string? GgufChatTemplate(Gguf.GgufFile file) => GgufTokenizerFile.ChatTemplate(file);

    public int[] Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>(text.Length / 3 + 2);
        if (addSpecialTokens && AddBos)
        {
            output.Add(BosId!.Value);
        }

        foreach (var segment in addedTokens.Split(text))
        {
            if (segment.IsAddedToken)
            {
                output.Add(segment.AddedTokenId);
            }
            else
            {
                normalizer.Encode(text.AsSpan(segment.Start, segment.Length), segment.Start == 0, model, output);
            }
        }

        if (addSpecialTokens && AddEos)
        {
            output.Add(EosId!.Value);
        }

        return [.. output];
    }

    /// <summary>Ids outside the vocabulary decode to nothing.</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = true)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (Skips(id, skipSpecialTokens))
            {
                continue;
            }

            if (byteValue[id] >= 0)
            {
                bytes.Add((byte)byteValue[id]);
                continue;
            }

            AppendBytes(text, bytes);
            text.Append(decodedText[id]);
        }

        AppendBytes(text, bytes);
        if (StripsLeadingSpace && text.Length > 0 && text[0] == ' ')
        {
            text.Remove(0, 1);
        }

        return text.ToString();
    }

    public bool IsSpecial(int id) => (uint)id < (uint)special.Length && special[id];

    public string? IdToToken(int id) => (uint)id < (uint)pieces.Length ? pieces[id] : null;

    public int? TokenToId(string token) => ids.TryGetValue(token, out var id) ? id : null;

    public StreamingDetokenizer CreateStreamingDetokenizer(bool skipSpecialTokens = true) => new(this, skipSpecialTokens);

    /// <summary>The id decodes to nothing: outside the vocabulary, or special while special tokens are skipped.</summary>
    internal bool Skips(int id, bool skipSpecialTokens) => (uint)id >= (uint)pieces.Length || (skipSpecialTokens && special[id]);

    internal int ByteValue(int id) => byteValue[id];

    internal string DecodedText(int id) => decodedText[id];

    private static void AppendBytes(StringBuilder text, List<byte> bytes)
    {
        if (bytes.Count > 0)
        {
            text.Append(Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
            bytes.Clear();
        }
    }

    private static List<AddedToken> MergeAddedTokens(TokenizerDefinition definition, TokenizerConfigFile config)
    {
        var byId = new Dictionary<int, AddedToken>();
        foreach (var token in definition.AddedTokens.Concat(config.AddedTokens))
        {
            byId[token.Id] = token;
        }

        return [.. byId.Values];
    }

    private int RequireToken(string token, string setting) =>
        TokenToId(token) ?? throw new TokenizerLoadException(
            $"{setting} \"{token}\" (from {TokenizerConfigFile.ConfigFileName} or {TokenizerConfigFile.SpecialTokensMapFileName}) is not in the vocabulary");

    private string? Piece(int? id) => id is { } known && known < pieces.Length ? pieces[known] : null;
}
