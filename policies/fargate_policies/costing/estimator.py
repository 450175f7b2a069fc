"""The monthly estimate: a price per resource, per service, and for the stack.

Each priced type has one pricer below. A pricer reads only plain props (see
:mod:`costing.graph`) and the links it needs (an ECS service's task definition,
scalable target, scheduled actions and capacity-provider strategy; a log
group's role), and returns the resource's monthly dollars with a one-line
detail of how they were reached. Quantities the stack does not declare come
from the usage assumptions (:mod:`costing.assumptions`); prices from the
region's price file (:mod:`costing.prices`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Any, NamedTuple

from ..facts import CANARY, GPU_RESOURCE, LINEAR, cpu_units, is_traffic_shifting, linear_steps, memory_mib
from . import instances as capacity
from . import tokens as T
from .assumptions import resolve_assumptions
from .graph import (
    Graph,
    Index,
    Node,
    PhysicalNames,
    autonamed,
    get,
    items,
    json_document,
    last_segment,
    normalize,
    num,
    stem,
    text,
)
from .prices import DEFAULT_REGION, PriceTable, load_prices
from .schedule import MINUTES_PER_WEEK, Action, Segment, Timeline, timeline

SHARED = "(shared)"
"""The ``service`` of items that belong to no single ECS service (network, load balancer, cluster...)."""

FARGATE = "FARGATE"
FARGATE_SPOT = "FARGATE_SPOT"
_SCALABLE_DIMENSION = "ecs:service:DesiredCount"
_MAX_TASKS = 100_000.0
# AWS managed rule groups that carry a subscription fee on top of the rule price.
_PAID_RULE_GROUPS = ("AWSManagedRulesBotControlRuleSet", "AWSManagedRulesATPRuleSet",
                     "AWSManagedRulesACFPRuleSet", "AWSManagedRulesAntiDDoSRuleSet")


class Item(NamedTuple):
    """One priced resource."""

    urn: str
    type: str
    name: str
    service: str
    """The ECS service it belongs to (the component holding the service), or ``(shared)``."""
    monthly_usd: float
    detail: str
    """How the figure was reached: quantities, prices and assumptions."""


class Unpriced(NamedTuple):
    """A resource whose cost is not in the estimate."""

    urn: str
    type: str
    reason: str = ""


class Estimate(NamedTuple):
    """The monthly estimate of one stack."""

    items: tuple[Item, ...]
    """Priced resources, largest first."""
    by_service: Mapping[str, float]
    """Service -> monthly USD (``(shared)`` for the rest), largest first."""
    total_usd: float
    """Sum of every item."""
    unpriced: tuple[Unpriced, ...]
    """Resources not counted: types with no price, or resources that could not be read."""
    region: str = DEFAULT_REGION
    as_of: str = ""
    """Date of the prices."""
    currency: str = "USD"
    hours_per_month: float = 730.0
    assumptions: Mapping[str, float] = MappingProxyType({})
    """Every usage assumption as used (defaults with config overrides)."""
    prices_overridden: tuple[str, ...] = ()
    """``group.name`` of the prices config overrode."""
    free: tuple[str, ...] = ()
    """URNs of resources known to have no charge of their own."""

    def largest(self, count: int = 3) -> tuple[Item, ...]:
        """The ``count`` most expensive items."""
        return self.items[:max(count, 0)]


class _Unpriceable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Fargate(NamedTuple):
    cluster: str | None
    average_tasks: float


def _g(value: float) -> str:
    """A quantity for a detail line: up to 3 significant decimals, no trailing zeros."""
    return f"{value:,.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


def _usd(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


class _Estimator:
    def __init__(self, graph: Graph, table: PriceTable, assumptions: Mapping[str, float]) -> None:
        self.g = graph
        self.t = table
        self.a = assumptions
        self.hours = table.hours_per_month
        self.items: list[Item] = []
        self.unpriced: list[Unpriced] = []
        self.free: list[str] = []
        self.fargate: dict[str, _Fargate] = {}
        self.owner_by_urn: dict[str, str] = {}
        self.owner_by_name: dict[str, str] = {}
        self.service_label: dict[str, str] = {}
        self.log_roles: dict[str, tuple[str, str | None]] = {}
        self.task_definition: dict[str, Node | None] = {}
        self._fargate_grouped: tuple[int, dict[str | None, list[_Fargate]]] | None = None

    def p(self, group: str, name: str) -> float:
        return self.t.price(group, name)

    # -- indexes: each built once, so that linking every service costs a lookup, not a scan of the stack -----
    @cached_property
    def _task_definitions_by_family(self) -> Index:
        return Index(self.g.of(T.ECS_TASK_DEFINITION), lambda td: (text(td.props.get("family")),))

    @cached_property
    def _task_definitions_by_parent(self) -> Index:
        return Index(self.g.of(T.ECS_TASK_DEFINITION), lambda td: (td.parent,))

    @cached_property
    def _service_targets(self) -> list[Node]:
        """Scalable targets that can scale an ECS service's desired count."""
        return [t for t in self.g.of(T.SCALABLE_TARGET)
                if text(t.props.get("scalableDimension")) in (None, _SCALABLE_DIMENSION)]

    @cached_property
    def _targets_by_service(self) -> Index:
        """Service targets by the services their resourceId depends on, and by its ``<service>`` part
        (as is, and without its last ``-suffix`` for autonamed services)."""
        def keys(target: Node) -> list[tuple[str, str | None]]:
            out: list[tuple[str, str | None]] = [("dep", urn) for urn in target.deps.get("resourceId", ())]
            value = text(target.props.get("resourceId"))
            parts = value.split("/") if value else []
            if len(parts) == 3 and parts[0] == "service":
                out.append(("name", parts[2]))
                logical = stem(parts[2])
                if logical is not None:
                    out.append(("stem", logical))
            return out

        return Index(self._service_targets, keys)

    @cached_property
    def _scheduled_actions(self) -> Index:
        """Scheduled actions by the targets their resourceId depends on, and by its value."""
        return Index(self.g.of(T.SCHEDULED_ACTION), lambda a: [
            *(("dep", urn) for urn in a.deps.get("resourceId", ())), ("id", text(a.props.get("resourceId")))])

    @cached_property
    def _cluster_names(self) -> PhysicalNames:
        return PhysicalNames(self.g.of(T.ECS_CLUSTER))

    @cached_property
    def _capacity_providers(self) -> Index:
        """Cluster capacity providers by their clusterName, and by the clusters it depends on."""
        return Index(self.g.of(T.ECS_CAPACITY_PROVIDERS), lambda cp: [
            ("name", text(cp.props.get("clusterName"))), *(("dep", urn) for urn in cp.deps.get("clusterName", ()))])

    @cached_property
    def _provider_names(self) -> PhysicalNames:
        return PhysicalNames(self.g.of(T.ECS_CAPACITY_PROVIDER))

    @cached_property
    def _log_group_names(self) -> PhysicalNames:
        return PhysicalNames(self.g.of(T.LOG_GROUP))

    @cached_property
    def _interface_endpoints(self) -> list[Node]:
        return [e for e in self.g.of(T.VPC_ENDPOINT)
                if (text(e.props.get("vpcEndpointType")) or "").lower() == "interface"]

    # -- attribution -------------------------------------------------------------------------------
    def _label_services(self) -> None:
        for svc in self.g.of(T.ECS_SERVICE):
            parent = self.g.by_urn.get(svc.parent or "")
            if parent is not None and parent.type != "pulumi:pulumi:Stack" and self.g.is_component(parent):
                label = parent.name
                self.owner_by_urn.setdefault(parent.urn, label)
                self.owner_by_name.setdefault(parent.name, label)
            else:
                label = svc.name
            self.service_label[svc.urn] = label

    def service_of(self, node: Node) -> str:
        if node.urn in self.service_label:
            return self.service_label[node.urn]
        role = self.log_roles.get(node.urn)
        if role is not None and role[1] is not None:
            return role[1]
        for ancestor in self.g.ancestors(node):
            label = self.owner_by_urn.get(ancestor.urn) or self.owner_by_name.get(ancestor.name)
            if label is not None:
                return label
        return SHARED

    # -- links ------------------------------------------------------------------------------------
    def _task_definition(self, svc: Node) -> Node | None:
        family = last_segment(svc.props.get("taskDefinition"))
        family = family.split(":", 1)[0] if family else None
        found = self.g.linked(svc, "taskDefinition", T.ECS_TASK_DEFINITION,
                              lambda td: family is not None and text(td.props.get("family")) == family,
                              candidates=self._task_definitions_by_family.get(family))
        if not found:
            siblings = self._task_definitions_by_parent.get(svc.parent) if svc.parent else []
            if len(siblings) == 1:
                found = siblings
            elif self.g.count(T.ECS_TASK_DEFINITION) == 1:
                found = self.g.of(T.ECS_TASK_DEFINITION)
        return found[0] if found else None

    def _scalable_target(self, svc: Node) -> Node | None:
        def matches(target: Node) -> bool:
            value = text(target.props.get("resourceId"))
            parts = value.split("/") if value else []
            return len(parts) == 3 and parts[0] == "service" and autonamed(parts[2], svc)

        by_dep = self._targets_by_service.get(("dep", svc.urn))
        if by_dep:
            return by_dep[0]
        explicit = text(svc.props.get("name"))
        if explicit is None and text(svc.props.get("namePrefix")) is not None:
            candidates = self._service_targets  # no ECS service has a namePrefix; a prefix has no index
        else:
            candidates = self._targets_by_service.get(
                *([("name", explicit)] if explicit is not None else [("name", svc.name), ("stem", svc.name)]))
        found = [t for t in candidates if matches(t)]
        return found[0] if found else None

    def _actions(self, target: Node) -> list[Action]:
        resource_id = text(target.props.get("resourceId"))
        out: list[Action] = []
        for action in self._scheduled_actions.get(("dep", target.urn), ("id", resource_id) if resource_id else None):
            linked = target.urn in action.deps.get("resourceId", ()) or (
                resource_id is not None and text(action.props.get("resourceId")) == resource_id)
            dimension = text(action.props.get("scalableDimension"))
            if not linked or dimension not in (None, _SCALABLE_DIMENSION):
                continue
            out.append(Action(
                schedule=text(action.props.get("schedule")) or "",
                min_capacity=_clamp_tasks(num(get(action.props, "scalableTargetAction", "minCapacity"))),
                max_capacity=_clamp_tasks(num(get(action.props, "scalableTargetAction", "maxCapacity"))),
                timezone=text(action.props.get("timezone")),
                name=action.name,
            ))
        return out

    def _cluster(self, svc: Node) -> Node | None:
        name = last_segment(svc.props.get("cluster"))
        found = self.g.linked(svc, "cluster", T.ECS_CLUSTER, lambda c: autonamed(name, c),
                              candidates=self._cluster_names.named(name))
        if not found and self.g.count(T.ECS_CLUSTER) == 1:
            found = self.g.of(T.ECS_CLUSTER)
        return found[0] if found else None

    def _default_strategy(self, svc: Node, cluster: Node | None) -> list[tuple[str, float, float]] | None:
        name = last_segment(svc.props.get("cluster"))
        found = self.g.linked(svc, "cluster", T.ECS_CAPACITY_PROVIDERS,
                              lambda cp: name is not None and text(cp.props.get("clusterName")) == name,
                              candidates=self._capacity_providers.get(("name", name) if name else None))
        if not found and cluster is not None:
            found = self._capacity_providers.get(("dep", cluster.urn))
        if not found and self.g.count(T.ECS_CAPACITY_PROVIDERS) == 1:
            found = self.g.of(T.ECS_CAPACITY_PROVIDERS)
        if not found:
            return None
        return _strategy(found[0].props.get("defaultCapacityProviderStrategies"))

    def _log_roles(self) -> None:
        roles: dict[str, tuple[str, str | None]] = {}

        def mark(groups: list[Node], role: str, service: str | None = None) -> None:
            for group in groups:
                roles.setdefault(group.urn, (role, service))

        for svc in self.g.of(T.ECS_SERVICE):
            td = self.task_definition.get(svc.urn)
            if td is None:
                continue
            containers = json_document(td.props.get("containerDefinitions"))
            names = {text(get(c, "logConfiguration", "options", "awslogs-group"))
                     for c in (containers if isinstance(containers, list) else []) if isinstance(c, dict)}
            names.discard(None)
            mark(self.g.linked(td, "containerDefinitions", T.LOG_GROUP,
                               lambda lg, names=names: any(autonamed(n, lg) for n in names),
                               candidates=self._log_group_names.named(*names)),
                 "service", self.service_label.get(svc.urn))
        for flow_log in self.g.of(T.FLOW_LOG):
            destination = _log_group_from_arn(flow_log.props.get("logDestination"))
            found = self.g.linked(flow_log, "logDestination", T.LOG_GROUP,
                                  lambda lg, d=destination: autonamed(d, lg),
                                  candidates=self._log_group_names.named(destination))
            found += self.g.linked(flow_log, "logGroupName", T.LOG_GROUP,
                                   lambda lg, f=flow_log: autonamed(f.props.get("logGroupName"), lg),
                                   candidates=self._log_group_names.named(flow_log.props.get("logGroupName")))
            mark(found, "flow")
        for cluster in self.g.of(T.ECS_CLUSTER):
            name = get(cluster.props, "configuration", "executeCommandConfiguration", "logConfiguration",
                       "cloudWatchLogGroupName")
            mark(self.g.linked(cluster, "configuration", T.LOG_GROUP, lambda lg, n=name: autonamed(n, lg),
                               candidates=self._log_group_names.named(name)), "exec")
        for logging in self.g.of(T.WEB_ACL_LOGGING):
            arns = [_log_group_from_arn(a) for a in items(logging.props.get("logDestinationConfigs"))]
            mark(self.g.linked(logging, "logDestinationConfigs", T.LOG_GROUP,
                               lambda lg, arns=arns: any(autonamed(a, lg) for a in arns),
                               candidates=self._log_group_names.named(*arns)), "waf")
        for group in self.g.of(T.LOG_GROUP):
            name = text(group.props.get("name")) or text(group.props.get("namePrefix")) or ""
            if name.startswith("aws-waf-logs-"):
                roles.setdefault(group.urn, ("waf", None))
        self.log_roles = roles

    # -- pricers ----------------------------------------------------------------------------------
    def ecs_service(self, svc: Node) -> tuple[float, str]:
        launch = text(svc.props.get("launchType"))
        if launch is not None and launch.upper() != FARGATE:
            raise _Unpriceable(f"launchType {launch}: its tasks run on capacity this estimate does not price")
        td = self.task_definition.get(svc.urn)
        if td is None:
            raise _Unpriceable("its task definition is not in the stack, so the task size is unknown")
        os_family = text(get(td.props, "runtimePlatform", "operatingSystemFamily"))
        if os_family is not None and os_family.upper().startswith("WINDOWS"):
            raise _Unpriceable(f"{os_family} tasks: Windows Fargate prices are not in the price file")
        vcpu, gb = _task_size(td.props)
        if vcpu is None or gb is None:
            raise _Unpriceable("its task definition has no readable cpu and memory")
        arm = (text(get(td.props, "runtimePlatform", "cpuArchitecture")) or "").upper() == "ARM64"
        storage = num(get(td.props, "ephemeralStorage", "sizeInGib")) or 0.0
        extra_storage = max(storage - self.p("fargate", "ephemeralFreeGib"), 0.0)

        notes: list[str] = []
        target = self._scalable_target(svc)
        if target is not None:
            low = _clamp_tasks(num(target.props.get("minCapacity"))) or 0.0
            high = _clamp_tasks(num(target.props.get("maxCapacity")))
            week = timeline(low, high, self._actions(target))
            basis = f"autoscaling minimum {_g(low)}"
        else:
            desired = _clamp_tasks(num(svc.props.get("desiredCount")))
            if desired is None:
                notes.append("desiredCount not set: 0 tasks")
            week = Timeline((Segment(MINUTES_PER_WEEK, desired or 0.0),))
            basis = f"desiredCount {_g(desired or 0.0)}"
        notes.extend(f"schedule skipped ({s})" for s in week.skipped)

        cluster = self._cluster(svc)
        strategy = _strategy(svc.props.get("capacityProviderStrategies"))
        if launch is not None:
            strategy, source = [(FARGATE, 1.0, 0.0)], "launchType FARGATE"
        elif strategy:
            source = "service strategy"
        else:
            strategy = self._default_strategy(svc, cluster)
            source = "cluster default strategy"
            if not strategy:
                strategy, source = [(FARGATE, 1.0, 0.0)], "no strategy found: all FARGATE"

        task_hours: dict[str, float] = defaultdict(float)
        stretches: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for segment in week.segments:
            hours = self.hours * segment.minutes / MINUTES_PER_WEEK
            for provider, tasks in _split(segment.count, strategy).items():
                task_hours[provider] += tasks * hours
                stretches[provider].append((tasks, hours))
        self.fargate[svc.urn] = _Fargate(cluster.urn if cluster is not None else None,
                                         sum(task_hours.values()) / self.hours)

        names = {
            FARGATE: ("arm64VcpuHour", "arm64GbHour") if arm else ("vcpuHour", "gbHour"),
            FARGATE_SPOT: ("spotArm64VcpuHour", "spotArm64GbHour") if arm else ("spotVcpuHour", "spotGbHour"),
        }
        prices = {provider: (self.p("fargate", v), self.p("fargate", m)) for provider, (v, m) in names.items()}
        storage_rate = extra_storage * self.p("fargate", "ephemeralGbHour")
        # A traffic-shifting release runs a second fleet beside the first while traffic moves and bakes.
        release = self._release_overlap(svc)
        steady = sum(task_hours.values())
        extra = self.a["releasesPerMonth"] * release[0] / 60.0 * steady / self.hours if release is not None else 0.0
        if extra and steady:
            for provider in list(task_hours):
                task_hours[provider] += extra * task_hours[provider] / steady
            notes.append(f"releases: {_g(self.a['releasesPerMonth'])} a month x {_g(release[0])} min "
                         f"({release[1]}) with a second fleet of {_g(round(steady / self.hours, 2))} tasks, "
                         f"+{_g(round(extra, 1))} task-h")
        total = 0.0
        parts: list[str] = []
        for provider, hours in sorted(task_hours.items()):
            managed = self._managed_instances(svc, provider) if provider not in prices else None
            if managed is not None and hours > 0:
                try:
                    usd, part = self._on_instances(managed, stretches[provider], td, vcpu, gb)
                except capacity.NotPriced as exc:
                    self.unpriced.append(Unpriced(svc.urn, svc.type, f"{_g(hours)} task-h on Managed Instances "
                                                  f"provider {provider}: {exc.reason}"))
                    continue
                total += usd
                parts.append(part)
                continue
            if provider not in prices:
                if hours > 0:
                    self.unpriced.append(Unpriced(svc.urn, svc.type, f"{_g(hours)} task-h on capacity provider "
                                                  f"{provider}, which is not Fargate"))
                continue
            vcpu_price, gb_price = prices[provider]
            total += hours * (vcpu * vcpu_price + gb * gb_price + storage_rate)
            parts.append(f"{provider} {_g(round(hours, 1))} task-h")
        volume = get(svc.props, "volumeConfiguration", "managedEbsVolume")
        if isinstance(volume, dict):
            try:
                per_volume, kind = capacity.task_volume_month(self.t, volume)
            except capacity.NotPriced as exc:
                self.unpriced.append(Unpriced(svc.urn, svc.type, exc.reason))
            else:
                volumes = sum(task_hours.values()) / self.hours
                total += volumes * per_volume
                notes.append(f"task EBS volume {kind} ${per_volume:,.2f}/month each, {_g(round(volumes, 2))} on "
                             f"average ({capacity.dated(self.t, capacity.EBS)})")
        registers = bool(items(svc.props.get("serviceRegistries"))) or (
            get(svc.props, "serviceConnectConfiguration", "enabled") is True
            and bool(items(get(svc.props, "serviceConnectConfiguration", "services"))))
        if registers:
            instances = sum(task_hours.values()) / self.hours
            total += instances * self.p("cloudMap", "registeredInstanceMonth")
            notes.append(f"Cloud Map: {_g(round(instances, 2))} registered instances on average")
        shape = f"{_g(vcpu)} vCPU/{_g(gb)} GB {'ARM64' if arm else 'X86_64'}"
        if extra_storage:
            shape += f" +{_g(extra_storage)} GiB storage"
        counts = ", ".join(f"{_g(c)} task{'s' if c != 1 else ''} {_g(round(h, 1))} h/week"
                           for c, h in sorted(week.hours_at().items()))
        detail = f"{shape}; {basis}"
        if len(week.segments) > 1:
            detail += f"; scheduled: {counts}"
        detail += f"; {source}: {', '.join(parts) or 'no task-h'}"
        if notes:
            detail += "; " + "; ".join(notes)
        return total, detail

    def _release_overlap(self, svc: Node) -> tuple[float, str] | None:
        """Minutes one release of a traffic-shifting service runs its new version beside the old (traffic shift
        and bake time, at least ``releaseMinimumMinutes``), and how they add up; None for a rolling service."""
        config = svc.props.get("deploymentConfiguration")
        config = config if isinstance(config, Mapping) else {}
        strategy = text(config.get("strategy"))
        if not is_traffic_shifting(strategy):
            return None
        bake = num(config.get("bakeTimeInMinutes")) or 0.0
        shift = 0.0
        if strategy.upper() == CANARY:
            shift = num(get(config, "canaryConfiguration", "canaryBakeTimeInMinutes")) or 0.0
        elif strategy.upper() == LINEAR:
            step = num(get(config, "linearConfiguration", "stepPercent"))
            wait = num(get(config, "linearConfiguration", "stepBakeTimeInMinutes")) or 0.0
            shift = (linear_steps(step) - 1) * wait if step else 0.0
        minutes = max(shift + bake, self.a["releaseMinimumMinutes"])
        what = f"{strategy.upper()}: {_g(shift)} min shifting + {_g(bake)} min bake"
        return minutes, what

    def _managed_instances(self, svc: Node, provider: str) -> Node | None:
        """The Managed Instances capacity provider a strategy entry of ``svc`` names, if it is one of the stack's."""
        found = self.g.linked(svc, "capacityProviderStrategies", T.ECS_CAPACITY_PROVIDER,
                              lambda p: autonamed(provider, p), candidates=self._provider_names.named(provider))
        found = [p for p in found if get(p.props, "managedInstancesProvider") is not None]
        named = [p for p in found if autonamed(provider, p)]
        return (named or found or [None])[0]

    def _on_instances(self, provider: Node, stretches: list[tuple[float, float]], td: Node, vcpu: float,
                      gb: float) -> tuple[float, str]:
        """Instances for a service's tasks on ``provider``: EC2, the management charge and each one's volume."""
        choice = capacity.choose_instance(provider.props, self.t, vcpu * 1024, gb * 1024, _task_gpus(td.props))
        hours = capacity.instance_hours(choice, stretches)
        storage = capacity.gp3_month(self.t, choice.storage_gib) / self.hours
        usd = hours * (choice.ec2_hour + choice.management_hour + storage)
        group = capacity.SPOT if choice.spot else capacity.ON_DEMAND
        part = (f"{_g(round(hours, 1))} instance-h of {choice.instance_type} "
                f"({'Spot' if choice.spot else 'on-demand'} ${choice.ec2_hour:g}/h, {capacity.dated(self.t, group)}"
                f"; management ${choice.management_hour:g}/h, {capacity.dated(self.t, capacity.MANAGEMENT)}; "
                f"{_g(choice.storage_gib)} GiB gp3 each), {choice.tasks_per_instance} task(s) per instance")
        return usd, part

    def ecs_cluster(self, cluster: Node) -> tuple[float, str] | None:
        level = None
        for setting in items(cluster.props.get("settings")):
            if text(get(setting, "name")) == "containerInsights":
                level = (text(get(setting, "value")) or "").lower()
        if level not in ("enabled", "enhanced"):
            return None
        if self.g.count(T.ECS_CLUSTER) == 1:  # priced once: one pass over the services
            services = [f for f in self.fargate.values() if f.cluster in (cluster.urn, None)]
        else:
            services = self._fargate_by_cluster().get(cluster.urn, [])
        tasks = sum(f.average_tasks for f in services)
        metrics = self.a["ciMetricsPerCluster"] + self.a["ciMetricsPerService"] * len(services)
        if level == "enhanced":
            metrics += self.a["ciEnhancedMetricsPerTask"] * tasks
        log_gb = self.a["ciLogGbPerTaskMonth"] * tasks
        usd = metrics * self.p("cloudwatch", "metricMonth") + log_gb * self.p("cloudwatch", "logIngestGb")
        return usd, (f"Container Insights {level}: {_g(round(metrics, 1))} metrics for {len(services)} "
                     f"service(s), {_g(round(tasks, 2))} tasks on average, {_g(round(log_gb, 2))} GB/month of "
                     "performance logs")

    def nat_gateway(self, nat: Node) -> tuple[float, str]:
        shift = self.a["natGbShiftedToEndpoints"] if self._interface_endpoints else 0.0
        gb = self.a["natGbPerMonth"] * (1 - shift)
        usd = self.hours * self.p("natGateway", "hour") + gb * self.p("natGateway", "gb")
        detail = f"{_g(self.hours)} h + {_g(gb)} GB processed"
        if shift:
            detail += f" ({_g(shift * 100)}% of {_g(self.a['natGbPerMonth'])} GB moved to VPC endpoints)"
        return usd, detail

    def _fargate_by_cluster(self) -> dict[str | None, list[_Fargate]]:
        """The services priced so far, by cluster URN; rebuilt only when services were priced since."""
        cached = self._fargate_grouped
        if cached is None or cached[0] != len(self.fargate):
            grouped: dict[str | None, list[_Fargate]] = defaultdict(list)
            for f in self.fargate.values():
                grouped[f.cluster].append(f)
            cached = (len(self.fargate), grouped)
            self._fargate_grouped = cached
        return cached[1]

    def eip(self, node: Node) -> tuple[float, str]:
        return self.hours * self.p("publicIpv4", "hour"), f"public IPv4 address, {_g(self.hours)} h"

    def load_balancer(self, lb: Node) -> tuple[float, str]:
        kind = (text(lb.props.get("loadBalancerType")) or "application").lower()
        if kind == "application":
            lcu = self.a["albLcu"]
            usd = self.hours * (self.p("alb", "hour") + lcu * self.p("alb", "lcuHour"))
            detail = f"ALB {_g(self.hours)} h + {_g(lcu)} LCU average"
        elif kind == "network":
            lcu = self.a["nlbLcu"]
            usd = self.hours * (self.p("nlb", "hour") + lcu * self.p("nlb", "nlcuHour"))
            detail = f"NLB {_g(self.hours)} h + {_g(lcu)} NLCU average"
        else:
            raise _Unpriceable(f"{kind} load balancers are not in the price file")
        if lb.props.get("internal") is not True:
            mappings = [m for m in items(lb.props.get("subnetMappings")) if not get(m, "allocationId")]
            addresses = len(items(lb.props.get("subnets"))) + len(mappings)
            assumed = addresses == 0
            addresses = addresses or 2
            usd += addresses * self.hours * self.p("publicIpv4", "hour")
            detail += f" + {addresses} public IPv4 address{'es' if addresses != 1 else ''}"
            if assumed:
                detail += " (subnets unknown: 2 assumed)"
        return usd, detail

    def log_group(self, group: Node) -> tuple[float, str]:
        role = self.log_roles.get(group.urn, ("other", None))[0]
        key = {"service": "logGbPerDay", "flow": "flowLogGbPerDay", "exec": "execLogGbPerDay",
               "waf": "wafLogGbPerDay"}.get(role, "otherLogGbPerDay")
        per_day = self.a[key]
        horizon = self.a["logStorageHorizonDays"]
        retention = num(group.props.get("retentionInDays"))
        days = min(retention, horizon) if retention is not None and retention > 0 else horizon
        infrequent = (text(group.props.get("logGroupClass")) or "").upper() == "INFREQUENT_ACCESS"
        ingest_price = self.p("cloudwatch", "logIngestInfrequentAccessGb" if infrequent else "logIngestGb")
        ingested = per_day * self.hours / 24
        stored = per_day * days * self.a["logStorageCompression"]
        usd = ingested * ingest_price + stored * self.p("cloudwatch", "logStorageGbMonth")
        kept = f"{_g(retention)}-day retention" if retention is not None and retention > 0 else "never expires"
        return usd, (f"{role} logs {_g(per_day)} GB/day: {_g(round(ingested, 2))} GB/month ingested, "
                     f"{_g(round(stored, 2))} GB stored ({kept})")

    def metric_alarm(self, alarm: Node) -> tuple[float, str]:
        queries = [q for q in items(alarm.props.get("metricQueries")) if isinstance(q, dict)]
        metrics = sum(1 for q in queries if isinstance(q.get("metric"), dict)) or 1
        periods = [num(alarm.props.get("period"))] + [num(get(q, "metric", "period")) for q in queries]
        high_resolution = any(p is not None and 0 < p < 60 for p in periods)
        if any("ANOMALY_DETECTION_BAND" in (text(q.get("expression")) or "").upper() for q in queries):
            metrics *= 3  # an anomaly detection alarm is billed as three metrics
        price = self.p("cloudwatch", "alarmHighResolutionMetric" if high_resolution else "alarmMetric")
        return metrics * price, (f"{metrics} metric{'s' if metrics != 1 else ''}, "
                                 f"{'high' if high_resolution else 'standard'} resolution")

    def composite_alarm(self, alarm: Node) -> tuple[float, str]:
        return self.p("cloudwatch", "compositeAlarm"), "composite alarm"

    def dashboard(self, node: Node) -> tuple[float, str]:
        return self.p("cloudwatch", "dashboard"), "dashboard (free tier of 3 per account ignored)"

    def web_acl(self, acl: Node) -> tuple[float, str]:
        rules = items(acl.props.get("rules"))
        if not rules:
            parsed = json_document(acl.props.get("ruleJson"))
            rules = parsed if isinstance(parsed, list) else []
        groups = [text(get(r, "statement", "managedRuleGroupStatement", "name")) for r in rules]
        paid = sorted({g for g in groups if g in _PAID_RULE_GROUPS})
        requests = self.a["wafRequestsPerMonth"]
        usd = (self.p("waf", "webAcl") + len(rules) * self.p("waf", "rule")
               + requests / 1e6 * self.p("waf", "millionRequests"))
        detail = f"web ACL + {len(rules)} rule(s) + {_g(requests / 1e6)}M requests"
        if paid:
            detail += f"; subscription fees of {', '.join(paid)} not included"
        return usd, detail

    def vpc_endpoint(self, endpoint: Node) -> tuple[float, str] | None:
        kind = (text(endpoint.props.get("vpcEndpointType")) or "Gateway").lower()
        if kind == "gateway":
            return None
        if kind != "interface":
            raise _Unpriceable(f"{kind} endpoints are not in the price file")
        zones = len(items(endpoint.props.get("subnetIds"))) or len(items(endpoint.props.get("subnetConfigurations")))
        assumed = zones == 0
        zones = zones or 1
        gb = self.a["endpointGbPerMonth"]
        usd = zones * self.hours * self.p("vpcEndpoint", "interfaceAzHour") + gb * self.p("vpcEndpoint", "gb")
        detail = f"interface endpoint in {zones} AZ{'s' if zones != 1 else ''} + {_g(gb)} GB processed"
        return usd, detail + (" (subnets unknown: 1 AZ assumed)" if assumed else "")

    def kms_key(self, key: Node) -> tuple[float, str]:
        rotations = self.a["kmsRotations"] if key.props.get("enableKeyRotation") is True else 0.0
        usd = self.p("kms", "keyMonth") + min(rotations, 2.0) * self.p("kms", "rotationMonth")
        detail = "customer managed key"
        if rotations:
            detail += f" + {_g(min(rotations, 2.0))} rotation(s)"
        return usd, detail + " (requests not included)"

    def s3_bucket(self, bucket: Node) -> tuple[float, str]:
        gb = self.a["s3GbPerBucket"]
        return gb * self.p("s3", "standardGbMonth"), f"{_g(gb)} GB stored (requests not included)"

    def ecr_repository(self, repository: Node) -> tuple[float, str]:
        gb = self.a["ecrGbPerRepository"]
        return gb * self.p("ecr", "gbMonth"), f"{_g(gb)} GB of images stored"

    def dns_namespace(self, namespace: Node) -> tuple[float, str]:
        return self.p("route53", "hostedZoneMonth"), "Route 53 hosted zone of the namespace (queries not included)"

    def secret(self, node: Node) -> tuple[float, str]:
        return self.p("secretsManager", "secretMonth"), "one secret (API calls not included)"

    # -- the run ----------------------------------------------------------------------------------
    def run(self) -> tuple[list[Item], list[Unpriced], list[str]]:
        pricers = {
            **dict.fromkeys(T.ECS_CLUSTER, self.ecs_cluster),
            **dict.fromkeys(T.NAT_GATEWAY, self.nat_gateway),
            **dict.fromkeys(T.EIP, self.eip),
            **dict.fromkeys(T.LOAD_BALANCER, self.load_balancer),
            **dict.fromkeys(T.LOG_GROUP, self.log_group),
            **dict.fromkeys(T.METRIC_ALARM, self.metric_alarm),
            **dict.fromkeys(T.COMPOSITE_ALARM, self.composite_alarm),
            **dict.fromkeys(T.DASHBOARD, self.dashboard),
            **dict.fromkeys(T.WEB_ACL, self.web_acl),
            **dict.fromkeys(T.VPC_ENDPOINT, self.vpc_endpoint),
            **dict.fromkeys(T.KMS_KEY, self.kms_key),
            **dict.fromkeys(T.S3_BUCKET, self.s3_bucket),
            **dict.fromkeys(T.ECR_REPOSITORY, self.ecr_repository),
            **dict.fromkeys(T.SECRET, self.secret),
            **dict.fromkeys(T.DNS_NAMESPACE, self.dns_namespace),
        }
        self._label_services()
        for svc in self.g.of(T.ECS_SERVICE):
            self.task_definition[svc.urn] = self._task_definition(svc)
        self._log_roles()
        services = self.g.of(T.ECS_SERVICE)
        # Services first: Container Insights on the cluster depends on their task counts.
        ordered = services + [n for n in self.g.nodes if n.type not in T.ECS_SERVICE]
        for node in ordered:
            if self.g.is_component(node) and node.type not in T.PRICED_TYPES:
                continue
            pricer = self.ecs_service if node.type in T.ECS_SERVICE else pricers.get(node.type)
            if pricer is None:
                if node.type in T.FREE_TYPES:
                    self.free.append(node.urn)
                else:
                    self.unpriced.append(Unpriced(node.urn, node.type, "no price for this type"))
                continue
            try:
                result = pricer(node)
            except _Unpriceable as exc:
                self.unpriced.append(Unpriced(node.urn, node.type, exc.reason))
                continue
            if result is None:
                self.free.append(node.urn)
                continue
            usd, detail = result
            self.items.append(Item(node.urn, node.type, node.name, self.service_of(node), max(usd, 0.0), detail))
        return self.items, self.unpriced, self.free


def _clamp_tasks(value: float | None) -> float | None:
    return None if value is None else min(max(value, 0.0), _MAX_TASKS)


def _strategy(value: Any) -> list[tuple[str, float, float]]:
    out: list[tuple[str, float, float]] = []
    for entry in items(value):
        provider = text(get(entry, "capacityProvider"))
        if provider is None:
            continue
        weight = num(get(entry, "weight"))
        base = num(get(entry, "base"))
        out.append((provider, max(weight or 0.0, 0.0), max(base or 0.0, 0.0)))
    return out


def _split(count: float, strategy: list[tuple[str, float, float]]) -> dict[str, float]:
    """Tasks per capacity provider: each provider's base first, then the rest by weight."""
    alloc: dict[str, float] = defaultdict(float)
    remaining = max(count, 0.0)
    for provider, _, base in strategy:
        take = min(remaining, base)
        alloc[provider] += take
        remaining -= take
    weights = sum(weight for _, weight, _ in strategy)
    if remaining > 0:
        if weights > 0:
            for provider, weight, _ in strategy:
                alloc[provider] += remaining * weight / weights
        else:
            alloc[strategy[0][0] if strategy else FARGATE] += remaining
    return alloc


def _task_size(props: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """(vCPU, GB) of a task definition: task-level cpu and memory, else the sum over its containers."""
    cpu: float | None = cpu_units(props.get("cpu"))
    memory: float | None = memory_mib(props.get("memory"))
    containers = json_document(props.get("containerDefinitions"))
    containers = [c for c in containers if isinstance(c, dict)] if isinstance(containers, list) else []
    if cpu is None and containers:
        cpu = sum(num(c.get("cpu")) or 0.0 for c in containers) or None
    if memory is None and containers:
        memory = sum(num(c.get("memory")) or num(c.get("memoryReservation")) or 0.0 for c in containers) or None
    if cpu is None or memory is None or cpu <= 0 or memory <= 0:
        return None, None
    return min(cpu, 1e6) / 1024, min(memory, 1e8) / 1024


def _task_gpus(props: Mapping[str, Any]) -> int:
    """GPUs the task definition's containers reserve."""
    containers = json_document(props.get("containerDefinitions"))
    total = 0
    for container in containers if isinstance(containers, list) else []:
        for requirement in items(get(container, "resourceRequirements")):
            if text(get(requirement, "type")) == GPU_RESOURCE:
                total += int(num(get(requirement, "value")) or 0)
    return total


def _log_group_from_arn(value: Any) -> str | None:
    """The log group name in ``arn:aws:logs:<region>:<account>:log-group:<name>[:*]``, or the value itself."""
    value = text(value)
    if value is None:
        return None
    marker = ":log-group:"
    if marker in value:
        name = value.split(marker, 1)[1]
        return name[:-2] if name.endswith(":*") else name
    return value


_READ = frozenset(T.TYPES_READ)


def estimate(resources: Any, *, prices: PriceTable | Mapping[str, Any] | None = None,
             assumptions: Mapping[str, Any] | None = None, region: str = DEFAULT_REGION) -> Estimate:
    """The monthly estimate of a stack's resources (recorded resources, PolicyResources or mappings).

    ``prices`` is a loaded :class:`PriceTable`, or a partial override (``{"natGateway": {"hour": 0.05}}``)
    of ``region``'s price file, or None for the file as is. ``assumptions`` overrides usage defaults.
    Bad config raises :class:`costing.CostConfigError`; bad or partial resources never raise.
    """
    table = prices if isinstance(prices, PriceTable) else load_prices(region or DEFAULT_REGION, prices)
    values = resolve_assumptions(assumptions)
    estimator = _Estimator(Graph(normalize(resources, _READ, T.KEYS_READ)), table, values)
    priced, unpriced, free = estimator.run()
    ordered = tuple(sorted(priced, key=lambda i: (-i.monthly_usd, i.service, i.name, i.urn)))
    by_service: dict[str, float] = defaultdict(float)
    for item in ordered:
        by_service[item.service] += item.monthly_usd
    return Estimate(
        items=ordered,
        by_service=dict(sorted(by_service.items(), key=lambda kv: (-kv[1], kv[0]))),
        total_usd=sum(i.monthly_usd for i in ordered),
        unpriced=tuple(sorted(unpriced, key=lambda u: (u.type, u.urn))),
        region=table.region,
        as_of=table.as_of,
        currency=table.currency,
        hours_per_month=table.hours_per_month,
        assumptions=values,
        prices_overridden=table.overridden,
        free=tuple(free),
    )
