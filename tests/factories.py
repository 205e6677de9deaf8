"""factory_boy factories shared by the suite (docs/design.md#tests)."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from dispatch import services
from dispatch.models import ComplaintKind, Complexity

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "测试"
    last_name = factory.Sequence(lambda n: f"员{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-12345")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])
        self.save()


def make_user(role: str, **kwargs):
    return UserFactory(role=role, **kwargs)


def open_ticket(actor, **overrides):
    """A complete, dispatchable ticket taken by `actor` through the service."""
    data = {
        "kind": ComplaintKind.SOLVE,
        "complexity": Complexity.SIMPLE,
        "customer_name": "赵先生",
        "contact_person": "赵先生",
        "phone": "13800138000",
        "address": "广州市天河区体育西路 191 号",
        "phenomenon": "室内通话经常掉线",
        "location_detail": "客厅",
        "customer_action": "在家接打电话时",
    }
    data.update(overrides)
    return services.open_ticket(actor=actor, **data)
