using Tandem.Server.Configuration;

namespace Tandem.Server;

public static class WorkerServer
{
    public static Task<int> RunAsync(ServerSettings settings, CancellationToken cancellationToken) => throw new NotImplementedException();
}
