using System.Text;

namespace Tandem.Engine.Tokenization;

/// <summary>
/// Reads a SentencePiece <c>tokenizer.model</c> (a serialized <c>ModelProto</c>): its pieces with
/// score and type, the trainer's model type, byte fallback and special ids, and the normalizer's
/// dummy prefix and whitespace handling. BPE merges come from piece scores: a pair merges into the
/// piece it spells, higher score first.
/// </summary>
internal static class SentencePieceModelFile
{
    public const int PieceNormal = 1;
    public const int PieceUnknown = 2;
    public const int PieceControl = 3;
    public const int PieceUserDefined = 4;
    public const int PieceUnused = 5;
    public const int PieceByte = 6;
    public const int ModelTypeBpe = 2;

    public static TokenizerDefinition Read(string path)
    {
        var data = File.ReadAllBytes(path);
        var pieces = new List<(string Text, float Score, int Type)>();
        var trainer = new TrainerSpec();
        var normalizer = new NormalizerSpec();
        try
        {
            var reader = new ProtobufReader(data);
            while (!reader.AtEnd)
            {
                var (field, wire) = reader.ReadTag();
                switch (field, wire)
                {
                    case (1, ProtobufReader.WireLengthDelimited):
                        pieces.Add(ReadPiece(reader.ReadBytes()));
                        break;
                    case (2, ProtobufReader.WireLengthDelimited):
                        trainer = ReadTrainerSpec(reader.ReadBytes());
                        break;
                    case (3, ProtobufReader.WireLengthDelimited):
                        normalizer = ReadNormalizerSpec(reader.ReadBytes());
                        break;
                    default:
                        reader.Skip(wire);
                        break;
                }
            }
        }
        catch (FormatException e)
        {
            throw new TokenizerLoadException($"{path}: not a valid SentencePiece model protobuf ({e.Message})", e);
        }

        if (pieces.Count == 0)
        {
            throw new TokenizerLoadException($"{path}: no pieces in the SentencePiece model");
        }

        if (trainer.ModelType != ModelTypeBpe)
        {
            throw new TokenizerLoadException(
                $"{path}: unsupported SentencePiece model type {ModelTypeName(trainer.ModelType)} (only BPE is supported)");
        }

        if (normalizer.HasCharsMap)
        {
            throw new TokenizerLoadException(
                $"{path}: unsupported SentencePiece normalizer '{normalizer.Name}' with a precompiled character map (only identity is supported)");
        }

        return Build(pieces, trainer, normalizer);
    }

    /// <summary>The definition of a SentencePiece BPE vocabulary: from a <c>tokenizer.model</c>, or the same fields from GGUF metadata.</summary>
    public static TokenizerDefinition Build(List<(string Text, float Score, int Type)> pieces, TrainerSpec trainer, NormalizerSpec normalizer)
    {
        var texts = pieces.Select(p => (string?)p.Text).ToArray();
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        var special = new HashSet<int>();
        var added = new List<AddedToken>();
        for (var id = 0; id < pieces.Count; id++)
        {
            var (text, _, type) = pieces[id];
            if (type is PieceNormal or PieceUserDefined)
            {
                vocabulary.TryAdd(text, id);
            }

            if (type is PieceControl or PieceUnknown)
            {
                special.Add(id);
            }

            if (type == PieceUserDefined)
            {
                added.Add(new AddedToken(id, text, Special: false));
            }
        }

        var model = new BpeModel(
            vocabulary,
            MergesFromScores(pieces, vocabulary),
            TokenizerDefinition.ByteIds(texts, id => pieces[id].Type == PieceByte),
            Valid(trainer.UnkId, pieces.Count) ?? -1,
            trainer.ByteFallback,
            fuseUnknown: true,
            ignoreMerges: false);

        return new TokenizerDefinition
        {
            Pieces = texts,
            Model = model,
            Normalizer = new SentencePieceNormalizer
            {
                Prefix = normalizer.AddDummyPrefix ? DummyPrefix.EverySegment : DummyPrefix.Never,
                EscapeSpaces = normalizer.EscapeWhitespaces,
                RemoveExtraWhitespace = normalizer.RemoveExtraWhitespaces,
            },
            DecodeStripsLeadingSpace = normalizer.AddDummyPrefix,
            AddedTokens = added,
            SpecialIds = special,
            UnkId = Valid(trainer.UnkId, pieces.Count),
            BosId = Valid(trainer.BosId, pieces.Count),
            EosId = Valid(trainer.EosId, pieces.Count),
        };
    }

    /// <summary>Every split of a mergeable piece into two mergeable pieces is a merge; higher piece score ranks first.</summary>
    private static Dictionary<long, BpeMerge> MergesFromScores(List<(string Text, float Score, int Type)> pieces, Dictionary<string, int> vocabulary)
    {
        var lookup = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        var found = new List<(long Pair, float Score, int Merged)>();
        foreach (var (text, id) in vocabulary)
        {
            for (var split = 1; split < text.Length; split++)
            {
                if (char.IsLowSurrogate(text[split]))
                {
                    continue;
                }

                if (lookup.TryGetValue(text.AsSpan(0, split), out var left) && lookup.TryGetValue(text.AsSpan(split), out var right))
                {
                    found.Add((BpeModel.PairKey(left, right), pieces[id].Score, id));
                }
            }
        }

        found.Sort((a, b) => b.Score.CompareTo(a.Score));
        var merges = BpeModel.CreateMergeTable(found.Count);
        var rank = -1;
        var previousScore = float.NaN;
        foreach (var (pair, score, merged) in found)
        {
            if (!score.Equals(previousScore))
            {
                rank++;
                previousScore = score;
            }

            merges[pair] = new BpeMerge(rank, merged);
        }

        return merges;
    }

    private static int? Valid(int id, int count) => id >= 0 && id < count ? id : null;

    private static string ModelTypeName(int type) => type switch
    {
        1 => "UNIGRAM",
        2 => "BPE",
        3 => "WORD",
        4 => "CHAR",
        _ => type.ToString(),
    };

    private static (string Text, float Score, int Type) ReadPiece(ReadOnlySpan<byte> message)
    {
        var reader = new ProtobufReader(message);
        var text = string.Empty;
        var score = 0f;
        var type = PieceNormal;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            switch (field, wire)
            {
                case (1, ProtobufReader.WireLengthDelimited):
                    text = Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                case (2, ProtobufReader.WireFixed32):
                    score = reader.ReadFloat();
                    break;
                case (3, ProtobufReader.WireVarint):
                    type = (int)reader.ReadVarint();
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return (text, score, type);
    }

    private static TrainerSpec ReadTrainerSpec(ReadOnlySpan<byte> message)
    {
        var reader = new ProtobufReader(message);
        var spec = new TrainerSpec();
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (wire != ProtobufReader.WireVarint)
            {
                reader.Skip(wire);
                continue;
            }

            var value = (int)(long)reader.ReadVarint();
            switch (field)
            {
                case 3: spec.ModelType = value; break;
                case 35: spec.ByteFallback = value != 0; break;
                case 40: spec.UnkId = value; break;
                case 41: spec.BosId = value; break;
                case 42: spec.EosId = value; break;
                default: break;
            }
        }

        return spec;
    }

    private static NormalizerSpec ReadNormalizerSpec(ReadOnlySpan<byte> message)
    {
        var reader = new ProtobufReader(message);
        var spec = new NormalizerSpec();
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            switch (field, wire)
            {
                case (1, ProtobufReader.WireLengthDelimited):
                    spec.Name = Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                case (2, ProtobufReader.WireLengthDelimited):
                    spec.HasCharsMap = reader.ReadBytes().Length > 0;
                    break;
                case (3, ProtobufReader.WireVarint):
                    spec.AddDummyPrefix = reader.ReadVarint() != 0;
                    break;
                case (4, ProtobufReader.WireVarint):
                    spec.RemoveExtraWhitespaces = reader.ReadVarint() != 0;
                    break;
                case (5, ProtobufReader.WireVarint):
                    spec.EscapeWhitespaces = reader.ReadVarint() != 0;
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return spec;
    }

    /// <summary>The <c>TrainerSpec</c> fields encoding needs, with SentencePiece's defaults.</summary>
    internal sealed class TrainerSpec
    {
        public int ModelType { get; set; } = 1;

        public bool ByteFallback { get; set; }

        public int UnkId { get; set; }

        public int BosId { get; set; } = 1;

        public int EosId { get; set; } = 2;
    }

    /// <summary>The <c>NormalizerSpec</c> fields encoding needs, with SentencePiece's defaults.</summary>
    internal sealed class NormalizerSpec
    {
        public string Name { get; set; } = "identity";

        public bool HasCharsMap { get; set; }

        public bool AddDummyPrefix { get; set; } = true;

        public bool RemoveExtraWhitespaces { get; set; } = true;

        public bool EscapeWhitespaces { get; set; } = true;
    }
}
