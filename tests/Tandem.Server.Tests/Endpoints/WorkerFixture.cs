using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tandem.Server.Configuration;

namespace Tandem.Server.Tests.Endpoints;

/// <summary>A real <c>tandem serve</c> on 127.0.0.1 (a free port) over stories260K, shared by a test class.</summary>
public sealed class WorkerFixture : IAsyncLifetime
{
    private RunningWorker? _worker;

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>The worker's address; the test is skipped when the shared model is missing.</summary>
    public Uri Address => Worker.Address;

    public HttpClient Http
    {
        get
        {
            _ = Worker;
            return _http;
        }
    }

    public const string ModelName = "stories260K";

    public static ServerSettings Settings(string model) => new()
    {
        Model = model,
        Port = 0,
        KvCacheMemoryBytes = 32L << 20,
        MaxBatchSize = 64,
        Threads = 2,
    };

    public async ValueTask InitializeAsync()
    {
        if (SharedData.Directory is null)
        {
            return;
        }

        _worker = await WorkerServer.StartAsync(Settings(SharedData.Require("models", "stories260K")) with { ServedModelName = ModelName });
        _http.BaseAddress = _worker.Address;
    }

    public RunningWorker Worker
    {
        get
        {
            SharedData.Require("models", "stories260K");
            return _worker ?? throw new InvalidOperationException("the worker did not start");
        }
    }

    public async Task<JsonElement> PostAsync(string path, string json, int expectedStatus = 200)
    {
        using var response = await Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expectedStatus, $"expected {expectedStatus}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Waits until nothing runs, waits or is held, then checks every KV block is free.</summary>
    public async Task AssertPoolFullAsync()
    {
        JsonElement info = default;
        for (var i = 0; i < 200; i++)
        {
            info = (await Http.GetFromJsonAsync<JsonElement>("/server_info")).Clone();
            var load = info.GetProperty("load");
            if (load.GetProperty("running").GetInt32() + load.GetProperty("waiting").GetInt32() + load.GetProperty("held_for_transfer").GetInt32() == 0)
            {
                break;
            }

            await Task.Delay(20);
        }

        var blocks = info.GetProperty("kv_blocks");
        Assert.Equal(blocks.GetProperty("total").GetInt32(), blocks.GetProperty("free").GetInt32());
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }
    }
}
