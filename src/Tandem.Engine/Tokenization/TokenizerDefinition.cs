namespace Tandem.Engine.Tokenization;

/// <summary>What one tokenizer file (tokenizer.json or tokenizer.model) describes, before tokenizer_config.json is applied.</summary>
internal sealed class TokenizerDefinition
{
    /// <summary>Token text by id; null for ids the file leaves unassigned.</summary>
    public required string?[] Pieces { get; init; }

    public required BpeModel Model { get; init; }

    public required SentencePieceNormalizer Normalizer { get; init; }

    /// <summary>The decoder drops one leading space of the decoded text (undoing the dummy prefix).</summary>
    public required bool DecodeStripsLeadingSpace { get; init; }

    public required IReadOnlyList<AddedToken> AddedTokens { get; init; }

    /// <summary>Ids the file itself marks special (SentencePiece control and unknown pieces).</summary>
    public IReadOnlySet<int> SpecialIds { get; init; } = new HashSet<int>();

    public int? UnkId { get; init; }

    public int? BosId { get; init; }

    public int? EosId { get; init; }

    /// <summary>The padding token; only GGUF metadata names one (<c>tokenizer.ggml.padding_token_id</c>).</summary>
    public int? PadId { get; init; }

    public bool? AddBos { get; init; }

    public bool? AddEos { get; init; }

    /// <summary>The byte a <c>&lt;0xXX&gt;</c> piece stands for, or -1.</summary>
    public static int ByteFallbackValue(string? piece)
    {
        if (piece is not { Length: 6 } || !piece.StartsWith("<0x", StringComparison.Ordinal) || piece[5] != '>')
        {
            return -1;
        }

        return int.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var value) ? value : -1;
    }

    public static int[] ByteIds(string?[] pieces, Func<int, bool>? isByte = null)
    {
        var ids = new int[256];
        Array.Fill(ids, -1);
        for (var id = 0; id < pieces.Length; id++)
        {
            var value = ByteFallbackValue(pieces[id]);
            if (value >= 0 && (isByte?.Invoke(id) ?? true) && ids[value] < 0)
            {
                ids[value] = id;
            }
        }

        return ids;
    }
}
