using System.Text;
using Tandem.Engine.Tokenization;

namespace Tandem.Engine.Gguf;

/// <summary>
/// The <c>tokenizer.ggml.*</c> arrays of a SentencePiece ("llama") vocabulary: token text, score
/// and type per id. Token types are SentencePiece's piece types, which llama.cpp uses unchanged
/// (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte). Scores and types come from
/// <c>tokenizer.model</c> when the directory has one (as llama.cpp's converter takes them); otherwise
/// from the loaded tokenizer: control for special tokens, byte for <c>&lt;0xXX&gt;</c>, and score −id
/// (SentencePiece BPE's own ordering: earlier pieces merge first).
/// </summary>
internal sealed record GgufVocabulary(string[] Tokens, float[] Scores, int[] Types, int? UnkId)
{
    public const int Normal = 1;
    public const int Unknown = 2;
    public const int Control = 3;
    public const int Unused = 5;
    public const int Byte = 6;

    public static GgufVocabulary From(string modelDirectory, Tokenizer tokenizer, int vocabSize)
    {
        var tokens = new string[vocabSize];
        var scores = new float[vocabSize];
        var types = new int[vocabSize];
        var pieces = ReadSentencePieces(Path.Combine(modelDirectory, Tokenizer.SentencePieceFileName));
        int? unk = null;
        for (var id = 0; id < vocabSize; id++)
        {
            var text = tokenizer.IdToToken(id);
            if (text is null)
            {
                (tokens[id], scores[id], types[id]) = ($"[PAD{id}]", 0f, Unused);
                continue;
            }

            tokens[id] = text;
            if (pieces is not null && id < pieces.Count && pieces[id].Text == text)
            {
                (scores[id], types[id]) = (pieces[id].Score, pieces[id].Type);
            }
            else
            {
                scores[id] = -id;
                types[id] = tokenizer.IsSpecial(id) ? (text == "<unk>" ? Unknown : Control)
                    : TokenizerDefinition.ByteFallbackValue(text) >= 0 ? Byte
                    : Normal;
            }

            if (types[id] == Unknown)
            {
                unk ??= id;
            }
        }

        return new GgufVocabulary(tokens, scores, types, unk);
    }

    /// <summary>Piece text, score and type of a SentencePiece <c>ModelProto</c> (field 1, each a message of text 1, score 2, type 3); null when there is no such file.</summary>
    private static List<(string Text, float Score, int Type)>? ReadSentencePieces(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var pieces = new List<(string, float, int)>();
        var reader = new ProtobufReader(File.ReadAllBytes(path));
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (field != 1 || wire != ProtobufReader.WireLengthDelimited)
            {
                reader.Skip(wire);
                continue;
            }

            var piece = new ProtobufReader(reader.ReadBytes());
            var (text, score, type) = (string.Empty, 0f, Normal);
            while (!piece.AtEnd)
            {
                var (f, w) = piece.ReadTag();
                switch (f, w)
                {
                    case (1, ProtobufReader.WireLengthDelimited): text = Encoding.UTF8.GetString(piece.ReadBytes()); break;
                    case (2, ProtobufReader.WireFixed32): score = piece.ReadFloat(); break;
                    case (3, ProtobufReader.WireVarint): type = (int)piece.ReadVarint(); break;
                    default: piece.Skip(w); break;
                }
            }

            pieces.Add((text, score, type));
        }

        return pieces;
    }
}
