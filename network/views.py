"""Network → VPC pages: list, create, details, the configuration dashboard, tiers."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from network import actions
from network.forms import TierForm, VpcForm
from network.models import Tier, Vpc
from portal.forms_util import add_action_errors
from portal.tenancy import get_owned, scoped, tenant_account, tenant_view
from portal.types import TenantRequest

VPCS_PER_PAGE = 50


def _vpcs(request: TenantRequest) -> QuerySet[Vpc]:
    return scoped(request, Vpc).select_related("router__source_nat_ip")


@tenant_view
def vpc_list(request: TenantRequest) -> HttpResponse:
    # Each row's tier count as a subquery, not a JOIN ... GROUP BY: PostgreSQL then reads the
    # 50 rows of the page in the (account, name) index's order and counts their tiers only,
    # where the GROUP BY counted the tiers of every VPC of the account (and its COUNT for the
    # paginator grouped them all again) before it could sort and cut.
    tiers = (
        Tier.objects.filter(vpc=OuterRef("pk"))
        .order_by()
        .values("vpc")
        .annotate(n=Count("pk"))
        .values("n")
    )
    vpcs = (
        _vpcs(request)
        .annotate(tier_count=Coalesce(Subquery(tiers, output_field=IntegerField()), 0))
        .order_by("name", "id")
    )
    page = Paginator(vpcs, VPCS_PER_PAGE).get_page(request.GET.get("page"))
    quota = actions.vpc_quota(tenant_account(request))
    return render(request, "network/vpc_list.html", {"page": page, "quota": quota})


@tenant_view
def vpc_create(request: TenantRequest) -> HttpResponse:
    account = tenant_account(request)
    form = VpcForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            vpc = actions.create_vpc(account=account, **form.cleaned_data)
        except ValidationError as error:
            add_action_errors(form, error, {"gateway": "tier_gateway"})
        else:
            messages.success(request, _("VPC %(name)s created.") % {"name": vpc.name})
            return redirect(vpc)
    context = {"form": form, "quota": actions.vpc_quota(account)}
    return render(request, "network/vpc_form.html", context)


@tenant_view
def vpc_detail(request: TenantRequest, pk: int) -> HttpResponse:
    vpc = get_owned(request, _vpcs(request), pk=pk)
    return render(request, "network/vpc_detail.html", {"vpc": vpc, "tiers": vpc.tiers.all()})


@tenant_view
def vpc_configure(request: TenantRequest, pk: int) -> HttpResponse:
    vpc = get_owned(request, _vpcs(request).select_related("vpn_gateway"), pk=pk)
    return render(request, "network/vpc_configure.html", {"vpc": vpc, "tiers": vpc.tiers.all()})


@tenant_view
def vpc_delete(request: TenantRequest, pk: int) -> HttpResponse:
    vpc = get_owned(request, _vpcs(request), pk=pk)
    if request.method == "POST":
        try:
            actions.delete_vpc(vpc=vpc)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect(vpc)
        messages.success(request, _("VPC %(name)s deleted.") % {"name": vpc.name})
        return redirect("network:vpc-list")
    return render(request, "network/vpc_delete.html", {"vpc": vpc})


@tenant_view
def tier_add(request: TenantRequest, pk: int) -> HttpResponse:
    vpc = get_owned(request, _vpcs(request), pk=pk)
    form = TierForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tier = actions.add_tier(vpc=vpc, **form.cleaned_data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Tier %(name)s added.") % {"name": tier.name})
            return redirect("network:vpc-configure", pk=vpc.pk)
    return render(request, "network/tier_form.html", {"form": form, "vpc": vpc})


@tenant_view
@require_POST
def tier_delete(request: TenantRequest, pk: int, tier_pk: int) -> HttpResponse:
    tier = get_owned(request, Tier.objects.select_related("vpc__router"), pk=tier_pk, vpc_id=pk)
    try:
        actions.delete_tier(tier=tier)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Tier %(name)s deleted.") % {"name": tier.name})
    return redirect("network:vpc-configure", pk=pk)
