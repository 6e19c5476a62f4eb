using System.Text;

namespace Tandem.Router.Benchmarking;

/// <summary>
/// vLLM's <c>random</c> dataset without a tokenizer: token ids in [10, vocab) for <c>/v1/completions</c> (exact lengths),
/// or that many common words for chat (about one token each, so the length is approximate).
/// </summary>
public static class RandomDataset
{
    public const int FirstTokenId = 10;

    private static readonly string[] Words =
    [
        "the", "of", "and", "to", "in", "is", "it", "that", "for", "was", "on", "with", "as", "he", "she", "they",
        "at", "by", "this", "had", "not", "are", "but", "from", "or", "have", "an", "one", "all", "were", "we", "when",
        "your", "can", "said", "there", "use", "each", "which", "do", "how", "their", "if", "will", "up", "other", "about", "out",
        "many", "then", "them", "some", "so", "would", "make", "like", "him", "into", "time", "has", "look", "two", "more", "go",
        "see", "no", "way", "could", "my", "than", "first", "water", "been", "call", "who", "its", "now", "find", "long", "down",
        "day", "did", "get", "come", "made", "may", "part", "over", "new", "sound", "take", "only", "little", "work", "know", "place",
    ];

    public static IReadOnlyList<BenchRequest> Generate(int count, int inputLen, int outputLen, double rangeRatio, bool tokenIds, int vocabSize, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(vocabSize, FirstTokenId);
        var inputs = LengthRange.Of(inputLen, rangeRatio);
        var outputs = LengthRange.Of(outputLen, rangeRatio);
        var requests = new BenchRequest[count];
        for (var i = 0; i < count; i++)
        {
            var inLen = inputs.Sample(random);
            var outLen = outputs.Sample(random);
            if (tokenIds)
            {
                var ids = new int[inLen];
                for (var t = 0; t < inLen; t++)
                {
                    ids[t] = random.Next(FirstTokenId, vocabSize);
                }

                requests[i] = new BenchRequest(null, ids, inLen, outLen);
            }
            else
            {
                var text = new StringBuilder();
                for (var t = 0; t < inLen; t++)
                {
                    text.Append(t == 0 ? string.Empty : " ").Append(Words[random.Next(Words.Length)]);
                }

                requests[i] = new BenchRequest(text.ToString(), null, inLen, outLen);
            }
        }

        return requests;
    }
}
