using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels.Amx;

/// <summary>
/// Whether this process may run Intel AMX tile instructions (AMX-TILE with AMX-BF16 and AMX-INT8:
/// Sapphire Rapids and later Xeons). Three things must hold: the CPU reports them (CPUID leaf 7), the Linux kernel
/// saves tile data across context switches (<c>ARCH_GET_XCOMP_SUPP</c> has XTILEDATA), and the
/// process asked for and got permission to use it (<c>ARCH_REQ_XCOMP_PERM</c>, once per process).
/// Setting the environment variable <c>TANDEM_AMX=0</c> turns it off (the AVX-512 kernels run
/// instead). .NET 10 has no AMX intrinsics, so the tile kernels are short machine-code routines
/// (<see cref="AmxBf16Kernel"/>, <see cref="AmxInt8Kernel"/>).
/// </summary>
internal static partial class AmxSupport
{
    private const long SysArchPrctl = 158;
    private const long ArchGetXcompSupp = 0x1021;
    private const long ArchReqXcompPerm = 0x1023;
    private const int XFeatureTileData = 18;

    private const int Bf16 = 1 << 22, Tile = 1 << 24, Int8 = 1 << 25;

    private static readonly Lazy<(int Units, string? Reason)> s_probe = new(Probe);

    /// <summary>True when the BF16 tile kernel may run in this process.</summary>
    public static bool IsAvailable => (s_probe.Value.Units & Bf16) != 0;

    /// <summary>Why BF16 tiles are or are not used, for the start-up log.</summary>
    public static string Reason => IsAvailable ? "AMX-BF16 tiles for BF16 weights" : s_probe.Value.Reason ?? "the CPU has no AMX-BF16";

    /// <summary>True when the INT8 tile kernel may run in this process.</summary>
    public static bool IsInt8Available => (s_probe.Value.Units & Int8) != 0;

    /// <summary>Why INT8 tiles are or are not used, for the start-up log.</summary>
    public static string Int8Reason => IsInt8Available ? $"AMX-INT8 tiles for Q8_0/Q4_0 weights from {MatMulJob.AmxInt8MinTokens} tokens a step" : s_probe.Value.Reason ?? "the CPU has no AMX-INT8";

    /// <summary>The CPUID bits of the tile units this process may use (0 when none), or why it may use none.</summary>
    private static (int, string?) Probe()
    {
        if (Environment.GetEnvironmentVariable("TANDEM_AMX") is "0" or "off" or "false")
        {
            return (0, "AMX off (TANDEM_AMX=0)");
        }

        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || !X86Base.IsSupported)
        {
            return (0, "AMX needs Linux on x86-64");
        }

        var (_, _, _, edx) = X86Base.CpuId(7, 0);
        if ((edx & Tile) == 0 || (edx & (Bf16 | Int8)) == 0)
        {
            return (0, "the CPU has no AMX");
        }

        ulong features = 0;
        unsafe
        {
            if (Syscall(SysArchPrctl, ArchGetXcompSupp, (nint)(&features)) != 0 || (features & (1UL << XFeatureTileData)) == 0)
            {
                return (0, "the kernel does not save AMX tile data");
            }
        }

        if (Syscall(SysArchPrctl, ArchReqXcompPerm, XFeatureTileData) != 0)
        {
            return (0, $"the kernel refused AMX to this process (errno {Marshal.GetLastPInvokeError()})");
        }

        return (edx & (Bf16 | Int8), null);
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long arg1, nint arg2);
}
