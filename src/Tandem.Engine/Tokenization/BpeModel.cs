using System.Text;

namespace Tandem.Engine.Tokenization;

/// <summary>
/// Merges the characters of one normalized piece of text into vocabulary ids by merge rank,
/// SentencePiece-BPE style: the lowest-ranked adjacent pair merges first (leftmost on ties);
/// characters outside the vocabulary become byte-fallback tokens <c>&lt;0xXX&gt;</c>, else unk.
/// </summary>
/// <remarks>
/// Symbols form a doubly linked list over the character positions; candidate pairs wait in a
/// priority queue keyed by (rank, left position) and are checked for staleness when popped, so
/// a word of n characters costs O(n log n), never a rescan per merge.
/// </remarks>
internal sealed class BpeModel
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> vocabulary;
    private readonly Dictionary<long, BpeMerge> merges;
    private readonly int[] byteIds;
    private readonly int unkId;
    private readonly bool fuseUnknown;
    private readonly bool ignoreMerges;

    public BpeModel(
        Dictionary<string, int> vocabulary,
        Dictionary<long, BpeMerge> merges,
        int[] byteIds,
        int unkId,
        bool byteFallback,
        bool fuseUnknown,
        bool ignoreMerges)
    {
        this.vocabulary = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        this.merges = merges;
        this.byteIds = byteFallback && byteIds.All(id => id >= 0) ? byteIds : [];
        this.unkId = unkId;
        this.fuseUnknown = fuseUnknown;
        this.ignoreMerges = ignoreMerges;
    }

    public static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>A merge table keyed by <see cref="PairKey"/>.</summary>
    public static Dictionary<long, BpeMerge> CreateMergeTable(int capacity = 0) => new(capacity, PairKeyComparer.Instance);

    public void Encode(ReadOnlySpan<char> text, List<int> output)
    {
        if (text.IsEmpty)
        {
            return;
        }

        if (ignoreMerges && vocabulary.TryGetValue(text, out var whole))
        {
            output.Add(whole);
            return;
        }

        var n = text.Length;
        var ids = new int[n];
        var next = new int[n];
        var prev = new int[n];
        var lengths = new int[n];

        var count = 0;
        var last = -1;
        for (var i = 0; i < n;)
        {
            var length = char.IsHighSurrogate(text[i]) && i + 1 < n && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            ids[i] = vocabulary.TryGetValue(text.Slice(i, length), out var id) ? id : -1;
            lengths[i] = length;
            prev[i] = last;
            if (last >= 0)
            {
                next[last] = i;
            }

            last = i;
            count++;
            i += length;
        }

        next[last] = -1;

        if (count > 1)
        {
            MergeAll(ids, next, prev, lengths);
        }

        Emit(text, ids, next, lengths, output);
    }

    private void MergeAll(int[] ids, int[] next, int[] prev, int[] lengths)
    {
        var queue = new PriorityQueue<int, long>();
        for (var i = 0; next[i] >= 0; i = next[i])
        {
            Enqueue(queue, ids, i, next[i]);
        }

        while (queue.TryDequeue(out var left, out var priority))
        {
            // An entry is stale when its pair changed after it was queued; the current pair then
            // has its own entry, so apply only an entry whose rank is the current pair's rank.
            var right = next[left];
            if (lengths[left] == 0 || right < 0
                || ids[left] < 0 || ids[right] < 0
                || !merges.TryGetValue(PairKey(ids[left], ids[right]), out var merge)
                || merge.Rank != (int)(priority >> 32))
            {
                continue;
            }

            ids[left] = merge.Merged;
            lengths[left] += lengths[right];
            lengths[right] = 0;
            next[left] = next[right];
            if (next[left] >= 0)
            {
                prev[next[left]] = left;
            }

            if (prev[left] >= 0)
            {
                Enqueue(queue, ids, prev[left], left);
            }

            if (next[left] >= 0)
            {
                Enqueue(queue, ids, left, next[left]);
            }
        }
    }

    private void Enqueue(PriorityQueue<int, long> queue, int[] ids, int left, int right)
    {
        if (ids[left] >= 0 && ids[right] >= 0 && merges.TryGetValue(PairKey(ids[left], ids[right]), out var merge))
        {
            queue.Enqueue(left, ((long)merge.Rank << 32) | (uint)left);
        }
    }

    private void Emit(ReadOnlySpan<char> text, int[] ids, int[] next, int[] lengths, List<int> output)
    {
        var previousWasUnknown = false;
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i >= 0; i = next[i])
        {
            if (ids[i] >= 0)
            {
                output.Add(ids[i]);
                previousWasUnknown = false;
                continue;
            }

            if (byteIds.Length == 256)
            {
                var written = Encoding.UTF8.GetBytes(text.Slice(i, lengths[i]), utf8);
                foreach (var b in utf8[..written])
                {
                    output.Add(byteIds[b]);
                }

                previousWasUnknown = false;
                continue;
            }

            if (unkId < 0)
            {
                throw new InvalidOperationException(
                    $"character U+{char.ConvertToUtf32(text.Slice(i, lengths[i]).ToString(), 0):X4} is not in the vocabulary and the tokenizer has neither byte fallback nor an unknown token");
            }

            if (!(fuseUnknown && previousWasUnknown))
            {
                output.Add(unkId);
            }

            previousWasUnknown = true;
        }
    }
}

/// <summary>
/// Hashes pair keys by multiplying with the golden ratio: long's own hash XORs the two ids, which
/// collides for most pairs of small ids and made merge lookups crawl.
/// </summary>
internal sealed class PairKeyComparer : IEqualityComparer<long>
{
    public static PairKeyComparer Instance { get; } = new();

    public bool Equals(long x, long y) => x == y;

    public int GetHashCode(long obj) => (int)(((ulong)obj * 0x9E3779B97F4A7C15UL) >> 32);
}

/// <summary>Merging the pair it is keyed by yields <see cref="Merged"/>; lower <see cref="Rank"/> merges first.</summary>
internal readonly record struct BpeMerge(int Rank, int Merged);
