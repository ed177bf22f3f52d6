using Microsoft.Playwright;

namespace Sysprint.Fleet.Tests.Support;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>, installed by .ci/run) driven by Playwright through
/// its executable path: nothing is downloaded. One browser per test class; each test gets its own
/// context (cookies, storage), which records every request its pages make. Without Chromium the
/// tests are skipped with a message, except under CI (<c>CI=true</c>), where they fail.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>What a wait for the page may take at most: generous, for a loaded 2-core machine.</summary>
    public const float Timeout = 60_000;

    private IPlaywright? _playwright;

    public IBrowser? Browser { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            return;
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            // As root (CI), Chromium refuses to start with its sandbox; the pages are our own.
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
            Timeout = Timeout,
        });
    }

    /// <summary>A fresh browser context (no cookies) whose requests are recorded in <paramref name="requests"/>.</summary>
    public async Task<IBrowserContext> NewContextAsync(List<string> requests)
    {
        if (Browser is null)
        {
            string message = $"{ExecutablePath} is missing: the console's browser tests need Debian's chromium (apt-get install chromium; .ci/run installs it)";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(message);
            }

            Assert.Skip(message);
        }

        IBrowserContext context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(Timeout);
        context.SetDefaultNavigationTimeout(Timeout);
        context.Request += (_, request) =>
        {
            lock (requests)
            {
                requests.Add(request.Url);
            }
        };
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
