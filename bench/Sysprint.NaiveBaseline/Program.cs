using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

// The obvious way to write the checker, for bench/run.sh to measure sysprint against: a string
// per line, a Regex for the strace prefix, string.Split for the mapping file, a dictionary keyed
// by strings. Same model as sysprint's default profile (window 2 per thread), no store.
//
//   naive-sysprint train TABLE FINGERPRINT LOG...   learn the logs' transitions into a text file
//   naive-sysprint check TABLE FINGERPRINT LOG      count the log's transitions missing from it
if (args.Length < 4 || args[0] is not ("train" or "check"))
{
    Console.Error.WriteLine("usage: naive-sysprint train|check TABLE FINGERPRINT LOG...");
    return 64;
}

var clock = Stopwatch.StartNew();
Dictionary<string, int> numbers = LoadTable(args[1]);
var known = new HashSet<(int, int)>();
if (args[0] == "check" || File.Exists(args[2]))
{
    foreach (string line in File.ReadLines(args[2]))
    {
        string[] parts = line.Split(' ');
        known.Add((int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture)));
    }
}

var pattern = new Regex(@"^(?:(\d+)\s+)?(?:[\d:.]+\s+)?(?:\[\s*\d+\]\s+)?(?:\[[0-9a-f?]+\]\s+)?([a-z0-9_]+)\(", RegexOptions.Compiled);
var exit = new Regex(@"^(?:(\d+)\s+)?(?:[\d:.]+\s+)?.*\+\+\+ (?:exited|killed)", RegexOptions.Compiled);
long calls = 0;
long mismatches = 0;
long lines = 0;
foreach (string log in args.Skip(3))
{
    var previous = new Dictionary<string, int>();
    foreach (string line in File.ReadLines(log))
    {
        lines++;
        Match m = pattern.Match(line);
        if (!m.Success)
        {
            Match e = exit.Match(line);
            if (e.Success)
            {
                previous.Remove(e.Groups[1].Value);
            }

            continue;
        }

        string pid = m.Groups[1].Value;
        if (!numbers.TryGetValue(m.Groups[2].Value, out int number))
        {
            Console.Error.WriteLine($"{log}:{lines}: unknown system call '{m.Groups[2].Value}'");
            return 65;
        }

        calls++;
        if (previous.TryGetValue(pid, out int before))
        {
            if (args[0] == "train")
            {
                known.Add((before, number));
            }
            else if (!known.Contains((before, number)))
            {
                mismatches++;
            }
        }

        previous[pid] = number;
    }
}

if (args[0] == "train")
{
    File.WriteAllLines(args[2], known.Select(k => $"{k.Item1} {k.Item2}"));
}

double seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{args[0]}: {lines} lines, {calls} syscalls, {mismatches} mismatches, {known.Count} transitions in {seconds:F2} s"));
return args[0] == "check" && mismatches > 0 ? 1 : 0;

static Dictionary<string, int> LoadTable(string path)
{
    var table = new Dictionary<string, int>();
    foreach (string line in File.ReadLines(path))
    {
        string[] parts = line.Split('#')[0].Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 2)
        {
            table.TryAdd(parts[1], int.Parse(parts[0], CultureInfo.InvariantCulture));
        }
    }

    return table;
}
