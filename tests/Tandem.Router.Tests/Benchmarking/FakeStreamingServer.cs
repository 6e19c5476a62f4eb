using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tandem.Router.Tests.Benchmarking;

/// <summary>
/// An OpenAI-style streaming server on 127.0.0.1 (a free port): <c>max_tokens</c> text chunks <see cref="ChunkDelay"/> apart,
/// then a finish chunk and a usage chunk (prompt tokens = the prompt's token ids or words). Every <see cref="FailEvery"/>-th request gets a 500.
/// </summary>
public sealed class FakeStreamingServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private FakeStreamingServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public TimeSpan ChunkDelay { get; set; } = TimeSpan.FromMilliseconds(5);

    public int FailEvery { get; set; }

    public int Requests => Volatile.Read(ref _requests);

    public List<JsonObject> Bodies { get; } = [];

    public static async Task<FakeStreamingServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        FakeStreamingServer? server = null;
        app.MapGet("/v1/models", () => Results.Text("{\"object\":\"list\",\"data\":[{\"id\":\"fake-model\",\"object\":\"model\"}]}", "application/json"));
        app.MapGet("/server_info", () => Results.Text("{\"role\":\"mixed\",\"model_config\":{\"vocab_size\":1000}}", "application/json"));
        app.MapPost("/v1/completions", context => server!.HandleAsync(context, chat: false));
        app.MapPost("/v1/chat/completions", context => server!.HandleAsync(context, chat: true));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new FakeStreamingServer(app, new Uri(address + "/"));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context, bool chat)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        lock (Bodies)
        {
            Bodies.Add(body);
        }

        var n = Interlocked.Increment(ref _requests);
        if (FailEvery > 0 && n % FailEvery == 0)
        {
            context.Response.StatusCode = 500;
            await context.Response.WriteAsync("{\"error\":{\"message\":\"boom\"}}");
            return;
        }

        var maxTokens = (int)body["max_tokens"]!;
        var promptTokens = chat
            ? ((string)body["messages"]![0]!["content"]!).Split(' ').Length
            : body["prompt"] is JsonArray ids ? ids.Count : ((string)body["prompt"]!).Split(' ').Length;
        context.Response.ContentType = "text/event-stream";
        if (chat)
        {
            await SendAsync(context, "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}");
        }

        for (var i = 0; i < maxTokens; i++)
        {
            await Task.Delay(ChunkDelay, context.RequestAborted);
            var choice = chat ? $"{{\"index\":0,\"delta\":{{\"content\":\" t{i}\"}}}}" : $"{{\"index\":0,\"text\":\" t{i}\"}}";
            await SendAsync(context, $"{{\"choices\":[{choice}]}}");
        }

        var finish = chat ? "{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}" : "{\"index\":0,\"text\":\"\",\"finish_reason\":\"length\"}";
        await SendAsync(context, $"{{\"choices\":[{finish}]}}");
        await SendAsync(context, $"{{\"choices\":[],\"usage\":{{\"prompt_tokens\":{promptTokens},\"completion_tokens\":{maxTokens},\"total_tokens\":{promptTokens + maxTokens}}}}}");
        await SendAsync(context, "[DONE]");
    }

    private static async Task SendAsync(HttpContext context, string data)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes($"data: {data}\n\n"));
        await context.Response.Body.FlushAsync();
    }
}
