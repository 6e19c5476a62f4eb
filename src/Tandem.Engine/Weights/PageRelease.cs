using System.Runtime.InteropServices;

namespace Tandem.Engine.Weights;

/// <summary>
/// Gives the pages of a range of weights back to the system (<c>madvise(MADV_DONTNEED)</c>), for
/// weights that were copied into another layout and are never read again: a file mapping's pages
/// leave the process at once (they would stay resident until the mapping is closed), an anonymous
/// buffer's pages are freed and would read as zeros. Only whole pages inside the range are released.
/// Does nothing off Linux.
/// </summary>
internal static unsafe partial class PageRelease
{
    private const int MadvDontNeed = 4;
    private const int MadvHugePage = 14;

    /// <summary>
    /// Asks for transparent huge pages over a buffer about to be filled (where the system's THP mode
    /// is "madvise"): filling 2 GB then takes ~1,000 page faults instead of ~500,000.
    /// </summary>
    public static void PreferHugePages(byte* start, long bytes) => Advise(start, bytes, MadvHugePage);

    public static void Release(byte* start, long bytes) => Advise(start, bytes, MadvDontNeed);

    private static void Advise(byte* start, long bytes, int advice)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var page = Environment.SystemPageSize;
        var first = ((nuint)start + (nuint)page - 1) & ~((nuint)page - 1);
        var end = ((nuint)start + (nuint)bytes) & ~((nuint)page - 1);
        if (end > first)
        {
            // Advice only: a failure leaves the pages as they are, which is what not calling would do.
            _ = Madvise((nint)first, end - first, advice);
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
