"""What /proc says about processes and the machine: CPU seconds, RSS, JIT compiler threads."""

import os

HZ = os.sysconf("SC_CLK_TCK")

# HotSpot names its JIT threads "C2 CompilerThread0", "C1 CompilerThread0"; comm is cut at 15.
JIT_THREAD_PREFIXES = ("C1 CompilerThre", "C2 CompilerThre")


def _stat_fields(path):
    """Fields 3.. of a stat file (after the parenthesised comm, which may contain spaces)."""
    with open(path) as f:
        s = f.read()
    return s[s.rindex(")") + 2 :].split()


def cpu_seconds(pid):
    """utime + stime of a process (all its threads, live and exited), in seconds; 0 if gone."""
    try:
        rest = _stat_fields("/proc/%d/stat" % pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(rest[11]) + int(rest[12])) / HZ


def descendants(pid):
    """pid and every process below it."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(_stat_fields("/proc/%s/stat" % entry)[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def threads(pid):
    """Threads of a process (`Threads:` in its status); 0 if gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def open_fds(pid):
    """File descriptors a process holds open (entries of /proc/PID/fd); 0 if gone."""
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except (FileNotFoundError, ProcessLookupError):
        return 0


def jit_cpu_seconds(pid):
    """CPU seconds of the JVM's C1/C2 compiler threads (run the JVM with
    -XX:-UseDynamicNumberOfCompilerThreads so none exits and takes its time with it)."""
    total = 0
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except FileNotFoundError:
        return 0.0
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                comm = f.read().strip()
            if comm.startswith(JIT_THREAD_PREFIXES):
                rest = _stat_fields("/proc/%d/task/%s/stat" % (pid, tid))
                total += int(rest[11]) + int(rest[12])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / HZ


def machine_busy_seconds():
    """CPU seconds all cores spent not idle (user+nice+system+irq+softirq+steal)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / HZ


def machine_info():
    info = {"cores": os.cpu_count()}
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                info["ram_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    info["kernel"] = os.uname().release
    return info
