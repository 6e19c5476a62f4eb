namespace Tandem.Engine.Sampling;

/// <summary>
/// Partial selection (Hoare's quickselect, median-of-three pivots): reorders keys so that the
/// <c>m</c> smallest come first, in no particular order, in O(n) expected time. Past a depth
/// budget it sorts the remaining range instead, which bounds the worst case at O(n log n).
/// </summary>
internal static class QuickSelect
{
    public static void SmallestFirst(Span<ulong> keys, int m)
    {
        if (m <= 0 || m >= keys.Length)
        {
            return;
        }

        int lo = 0, hi = keys.Length - 1, k = m - 1;
        var budget = (2 * System.Numerics.BitOperations.Log2((uint)keys.Length)) + 4;
        while (lo < hi)
        {
            if (budget-- == 0)
            {
                keys[lo..(hi + 1)].Sort();
                return;
            }

            var mid = lo + ((hi - lo) / 2);
            if (keys[mid] < keys[lo])
            {
                (keys[mid], keys[lo]) = (keys[lo], keys[mid]);
            }

            if (keys[hi] < keys[lo])
            {
                (keys[hi], keys[lo]) = (keys[lo], keys[hi]);
            }

            if (keys[hi] < keys[mid])
            {
                (keys[hi], keys[mid]) = (keys[mid], keys[hi]);
            }

            var pivot = keys[mid];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (keys[i] < pivot)
                {
                    i++;
                }

                while (keys[j] > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (keys[i], keys[j]) = (keys[j], keys[i]);
                    i++;
                    j--;
                }
            }

            // Now keys[lo..j] <= pivot <= keys[i..hi]; anything strictly between is the pivot itself.
            if (k <= j)
            {
                hi = j;
            }
            else if (k >= i)
            {
                lo = i;
            }
            else
            {
                return;
            }
        }
    }
}
