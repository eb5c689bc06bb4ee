"""Prints facts from a normalised compose file (the output of `docker-compose config`).

  compose_query.py CONFIG binds [SERVICE]  "<service>\t<host path>\t<container path>" per bind
                                           mount (sources that are paths, not named volumes)
  compose_query.py CONFIG env SERVICE      "KEY=value" per environment variable, NUL-terminated
  compose_query.py CONFIG command SERVICE  the command's words, NUL-terminated (none if unset)
  compose_query.py CONFIG services         the services' names, one a line

Exits 2 with a message when the file or the service is not there. Used by tests/ship/*.sh.
"""
import sys

import yaml


def bind_mounts(service):
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):  # long syntax
            if volume.get("type") == "bind":
                yield volume["source"], volume["target"]
            continue
        parts = volume.split(":")
        if len(parts) >= 2 and parts[0].startswith(("/", ".")):
            yield parts[0], parts[1]


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    with open(argv[1], encoding="utf-8") as f:
        services = (yaml.safe_load(f) or {}).get("services") or {}
    what, wanted = argv[2], argv[3] if len(argv) > 3 else None
    if wanted is not None and wanted not in services:
        print(f"compose_query: no service '{wanted}' in {argv[1]}", file=sys.stderr)
        sys.exit(2)
    if what == "services":
        print("\n".join(sorted(services)))
    elif what == "binds":
        for name, service in sorted(services.items()):
            if wanted in (None, name):
                for source, target in bind_mounts(service):
                    print(f"{name}\t{source}\t{target}")
    elif what == "env" and wanted:
        env = services[wanted].get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        for key, value in sorted(env.items()):
            # `config` keeps compose's "$$" escape; the container sees "$".
            value = "" if value is None else str(value).replace("$$", "$")
            sys.stdout.write(f"{key}={value}\0")
    elif what == "command" and wanted:
        command = services[wanted].get("command") or []
        if isinstance(command, str):
            command = command.split()
        for word in command:
            sys.stdout.write(f"{word}\0")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
