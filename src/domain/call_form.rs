//! The Appendix-2 call form as typed (a draft) and its check into a caller and a request body.

use serde::{Deserialize, Serialize};

use super::caller::CallerId;
use super::request::{Caller, CallerRole, Category};
use super::time::Timestamp;
use super::validate::{
    person_name, required_text, sanitize, Email, FieldError, Phone, SchoolClass, MAX_DESCRIPTION,
    MAX_NAME,
};

/// The seven fields of Appendix 2, in the regulation's order. It travels in an import's
/// answer (`domain::import::RowRefusal`): only ever append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Field {
    Name,
    Role,
    Class,
    Category,
    Description,
    Phone,
    Email,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::Name,
        Field::Role,
        Field::Class,
        Field::Category,
        Field::Description,
        Field::Phone,
        Field::Email,
    ];

    /// The regulation's wording.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => tr!("field.name"),
            Field::Role => tr!("field.role"),
            Field::Class => tr!("field.class"),
            Field::Category => tr!("field.category"),
            Field::Description => tr!("field.description"),
            Field::Phone => tr!("field.phone"),
            Field::Email => tr!("field.email"),
        }
    }

    pub fn index(self) -> usize {
        Field::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }
}

/// An unfinished form, kept so that nothing typed is lost if the console dies.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CallDraft {
    /// When the call was answered (`n` pressed): the request's received time.
    pub answered_at: Option<Timestamp>,
    pub name: String,
    pub role: Option<CallerRole>,
    pub class: String,
    pub category: Option<Category>,
    pub description: String,
    pub phone: String,
    pub email: String,
    /// The card of a known caller the operator took (F2) for this call: only a card taken
    /// so may be renamed by it. None: the call's name finds its card on the contact, or a
    /// new card is made.
    pub caller_card: Option<CallerId>,
    /// The caller asked for «Ваше обращение №N принято» by email (sent when the school has
    /// acknowledgements on).
    pub acknowledge: bool,
}

/// What the form says once every field is right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCall {
    pub caller: Caller,
    pub category: Category,
    pub description: String,
}

/// The reason per field, in the form's order; empty when the form can be saved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormErrors {
    pub errors: Vec<(Field, FieldError)>,
}

impl FormErrors {
    pub fn get(&self, field: Field) -> Option<&FieldError> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, error)| error)
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn first_field(&self) -> Option<Field> {
        self.errors.first().map(|(field, _)| *field)
    }
}

impl CallDraft {
    /// True when nothing has been typed or chosen yet.
    pub fn is_blank(&self) -> bool {
        self.name.trim().is_empty()
            && self.role.is_none()
            && self.class.trim().is_empty()
            && self.category.is_none()
            && self.description.trim().is_empty()
            && self.phone.trim().is_empty()
            && self.email.trim().is_empty()
    }

    /// Checks every field; the errors come in the form's order.
    pub fn check(&self) -> Result<CheckedCall, FormErrors> {
        let mut errors = Vec::new();
        let mut note = |field, result: Result<(), FieldError>| {
            if let Err(error) = result {
                errors.push((field, error));
            }
        };
        // What reaches a check may come from any client: clean it first.
        let name = person_name(&sanitize(&self.name, false, MAX_NAME + 1));
        note(Field::Name, name.as_ref().map(|_| ()).map_err(Clone::clone));
        note(
            Field::Role,
            self.role.map(|_| ()).ok_or(FieldError::RoleRequired),
        );
        let class = self.check_class();
        note(
            Field::Class,
            class.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        note(
            Field::Category,
            self.category
                .map(|_| ())
                .ok_or(FieldError::CategoryRequired),
        );
        let description = required_text(
            &sanitize(&self.description, true, MAX_DESCRIPTION + 1),
            MAX_DESCRIPTION,
        );
        note(
            Field::Description,
            description.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let phone = optional(&self.phone, Phone::parse);
        let email = optional(&self.email, Email::parse);
        note(
            Field::Phone,
            phone.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        note(
            Field::Email,
            email.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        if matches!((&phone, &email), (Ok(None), Ok(None))) {
            note(Field::Phone, Err(FieldError::ContactRequired));
        }

        match (
            name,
            self.role,
            class,
            self.category,
            description,
            phone,
            email,
        ) {
            (
                Ok(name),
                Some(role),
                Ok(class),
                Some(category),
                Ok(description),
                Ok(phone),
                Ok(email),
            ) if errors.is_empty() => Ok(CheckedCall {
                caller: Caller {
                    name,
                    role,
                    class,
                    phone,
                    email,
                },
                category,
                description,
            }),
            _ => Err(FormErrors { errors }),
        }
    }

    fn check_class(&self) -> Result<Option<SchoolClass>, FieldError> {
        let typed = !self.class.trim().is_empty();
        match (self.role, typed) {
            (_, true) => SchoolClass::parse(&self.class).map(Some),
            (Some(role), false) if role.needs_class() => Err(FieldError::ClassRequired),
            _ => Ok(None),
        }
    }
}

fn optional<T>(
    text: &str,
    parse: impl Fn(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        parse(text).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> CallDraft {
        CallDraft {
            answered_at: Some(Timestamp(0)),
            name: "Петрова Анна Ивановна".into(),
            role: Some(CallerRole::Parent),
            class: "5 а".into(),
            category: Some(Category::Ejournal),
            description: "Не открывается дневник".into(),
            phone: "8 912 345-67-89".into(),
            email: String::new(),
            caller_card: None,
            acknowledge: false,
        }
    }

    #[test]
    fn a_filled_form_checks_into_normalised_values() {
        let call = filled().check().expect("valid");
        assert_eq!(call.caller.class.map(|c| c.to_string()), Some("5А".into()));
        assert_eq!(
            call.caller.phone.as_ref().map(Phone::e164),
            Some("+79123456789")
        );
        assert_eq!(call.caller.email, None);
    }

    #[test]
    fn blank_form_lists_every_missing_field_in_order() {
        let errors = CallDraft::default().check().expect_err("blank");
        let fields: Vec<Field> = errors.errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                Field::Name,
                Field::Role,
                Field::Category,
                Field::Description,
                Field::Phone
            ]
        );
        assert_eq!(errors.get(Field::Phone), Some(&FieldError::ContactRequired));
    }

    #[test]
    fn class_is_required_for_student_and_parent_but_not_teacher() {
        let mut draft = filled();
        draft.class.clear();
        assert_eq!(
            draft.check().expect_err("parent").get(Field::Class),
            Some(&FieldError::ClassRequired)
        );
        draft.role = Some(CallerRole::Teacher);
        assert!(draft.check().is_ok());
    }

    #[test]
    fn email_alone_is_enough_contact() {
        let mut draft = filled();
        draft.phone.clear();
        draft.email = "petrova@mail.ru".into();
        assert!(draft.check().is_ok());
    }

    #[test]
    fn a_wrong_phone_blocks_saving_even_with_an_email() {
        let mut draft = filled();
        draft.phone = "12-34".into();
        draft.email = "petrova@mail.ru".into();
        assert_eq!(
            draft.check().expect_err("bad phone").get(Field::Phone),
            Some(&FieldError::PhoneDigits(4))
        );
    }

    #[test]
    fn blank_draft_is_blank_until_something_is_typed() {
        let mut draft = CallDraft {
            answered_at: Some(Timestamp(5)),
            ..CallDraft::default()
        };
        assert!(draft.is_blank());
        draft.role = Some(CallerRole::Student);
        assert!(!draft.is_blank());
    }
}
