using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Tandem.Server.Tests.Endpoints;

/// <summary>Every refusal is an OpenAI error object with the right status, and names what was wrong.</summary>
public class ErrorResponseTests(WorkerFixture worker) : IClassFixture<WorkerFixture>
{
    public static TheoryData<string, string, int, string, string?> BadRequests => new()
    {
        { "/v1/completions", """{"model":"stories260K","prompt":"hi""", 400, "Malformed JSON", null },
        { "/v1/completions", "", 400, "empty", null },
        { "/v1/completions", "[1,2]", 400, "JSON object", null },
        { "/v1/completions", """{"prompt":"hi"}""", 400, "model", "model" },
        { "/v1/completions", """{"model":"stories260K"}""", 400, "prompt", "prompt" },
        { "/v1/completions", """{"model":"stories260K","prompt":"hi","max_tokens":"ten"}""", 400, "max_tokens", "max_tokens" },
        { "/v1/completions", """{"model":"stories260K","prompt":"hi","temperature":-1}""", 400, "temperature", "temperature" },
        { "/v1/completions", """{"model":"stories260K","prompt":"hi","top_p":0}""", 400, "top_p", "top_p" },
        { "/v1/completions", """{"model":"stories260K","prompt":"hi","repetition_penalty":0,"min_p":2}""", 400, "min_p", "min_p" },
        { "/v1/completions", """{"model":"stories260K","prompt":"hi","n":100000}""", 400, "n = 100000", "n" },
        { "/v1/completions", """{"model":"stories260K","prompt":"hi","logprobs":50}""", 400, "logprobs", "logprobs" },
        { "/v1/completions", """{"model":"stories260K","prompt":[1, 99999]}""", 400, "outside the vocabulary", "prompt" },
        { "/v1/completions", """{"model":"stories260K","prompt":"hi","max_tokens":600}""", 400, "max_seq_len (512)", "max_tokens" },
        { "/v1/completions", """{"model":"gpt-4","prompt":"hi"}""", 404, "gpt-4", "model" },
        { "/v1/chat/completions", """{"model":"stories260K","messages":"hi"}""", 400, "messages", "messages" },
        { "/v1/chat/completions", """{"model":"stories260K","messages":[{"role":"user","content":[{"type":"image_url"}]}]}""", 400, "messages[0].content[0]", "messages[0].content[0].type" },
        { "/v1/chat/completions", """{"model":"stories260K","messages":[{"role":"user","content":"hi"}],"top_logprobs":2}""", 400, "logprobs", "top_logprobs" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_request_gets_a_specific_error_and_nothing_else_breaks(string path, string body, int status, string mentions, string? param)
    {
        var error = (await worker.PostAsync(path, body, status)).GetProperty("error");
        Assert.Contains(mentions, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(status == 404 ? "not_found_error" : "invalid_request_error", error.GetProperty("type").GetString());
        if (param is not null)
        {
            Assert.Equal(param, error.GetProperty("param").GetString());
        }

        var ok = await worker.PostAsync("/v1/completions", """{"model":"stories260K","prompt":"hi","max_tokens":3}""");
        Assert.Equal(3, ok.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        await worker.AssertPoolFullAsync();
    }

    [Fact]
    public async Task A_prompt_too_long_for_max_seq_len_is_refused_with_the_numbers()
    {
        var prompt = string.Join(",", Enumerable.Repeat("300", 500));
        var error = (await worker.PostAsync("/v1/completions", $$"""{"model":"stories260K","prompt":[{{prompt}}],"max_tokens":20}""", 400)).GetProperty("error");
        var message = error.GetProperty("message").GetString();
        Assert.Contains("500 tokens", message, StringComparison.Ordinal);
        Assert.Contains("max_tokens (20)", message, StringComparison.Ordinal);
        Assert.Contains("max_seq_len (512)", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_routes_answer_404_as_json()
    {
        using var response = await worker.Http.GetAsync("/v1/nothing-here", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Contains("/v1/nothing-here", doc.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_version_models_and_metrics_answer()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.OK, (await worker.Http.GetAsync("/health", ct)).StatusCode);
        Assert.Contains("OK", await worker.Http.GetStringAsync("/health_generate", ct), StringComparison.Ordinal);
        Assert.Contains("version", await worker.Http.GetStringAsync("/version", ct), StringComparison.Ordinal);
        using var models = JsonDocument.Parse(await worker.Http.GetStringAsync("/v1/models", ct));
        Assert.Equal(WorkerFixture.ModelName, models.RootElement.GetProperty("data")[0].GetProperty("id").GetString());
        await worker.PostAsync("/v1/completions", """{"model":"stories260K","prompt":"hi","max_tokens":2}""");
        var metrics = await worker.Http.GetStringAsync("/metrics", ct);
        foreach (var name in new[] { "tandem_requests_total{outcome=\"length\"}", "tandem_prompt_tokens_total", "tandem_generation_tokens_total", "tandem_requests_running", "tandem_requests_waiting", "tandem_kv_blocks_used", "tandem_kv_blocks_free", "tandem_time_to_first_token_seconds_bucket", "tandem_inter_token_latency_seconds_bucket", "tandem_e2e_request_latency_seconds_bucket" })
        {
            Assert.Contains(name, metrics, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_api_key_guards_the_v1_routes()
    {
        await using var guarded = await WorkerServer.StartAsync(WorkerFixture.Settings(SharedData.Require("models", "stories260K")) with { ApiKey = "sesame" }, cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = guarded.Address };
        var ct = TestContext.Current.CancellationToken;
        var body = """{"model":"stories260K","prompt":"hi","max_tokens":2}""";

        using var missing = await http.PostAsync("/v1/completions", new StringContent(body, Encoding.UTF8, "application/json"), ct);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Contains("Missing API key", await missing.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);

        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "open");
        using var wrongResponse = await http.SendAsync(wrong, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongResponse.StatusCode);
        Assert.Contains("invalid_api_key", await wrongResponse.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);

        using var right = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sesame");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(right, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health", ct)).StatusCode);
    }

    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var busy = await WorkerServer.StartAsync(WorkerFixture.Settings(SharedData.Require("models", "stories260K")) with { MaxWaitingRequests = 0 }, cancellationToken: ct);
        using var http = new HttpClient { BaseAddress = busy.Address };
        using var response = await http.PostAsync("/v1/completions", new StringContent("""{"model":"stories260K","prompt":"hi"}""", Encoding.UTF8, "application/json"), ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("rate_limit_error", await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }
}
