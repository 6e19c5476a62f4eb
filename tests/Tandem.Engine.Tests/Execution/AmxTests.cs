using Tandem.Engine.Kernels.Amx;

namespace Tandem.Engine.Tests.Execution;

/// <summary>For tests of the AMX tile kernels: they run where the machine and kernel allow AMX, and say why not elsewhere.</summary>
internal static class AmxTests
{
    public static void RequireAmx()
    {
        if (!AmxSupport.IsAvailable)
        {
            Assert.Skip($"AMX not available here: {AmxSupport.Reason}");
        }
    }

    public static void RequireAmxInt8()
    {
        if (!AmxSupport.IsInt8Available)
        {
            Assert.Skip($"AMX-INT8 not available here: {AmxSupport.Int8Reason}");
        }
    }
}
